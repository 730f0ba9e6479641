-- Release 2.0 moved scores into grades: every scored submission has exactly one grade.
SELECT (SELECT COUNT(*) FROM grades) = (SELECT COUNT(*) FROM submissions WHERE score IS NOT NULL)
