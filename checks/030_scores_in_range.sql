-- Grades are percentages; anything else breaks the gradebook page.
SELECT COUNT(*) = 0 FROM grades WHERE score < 0 OR score > 100
