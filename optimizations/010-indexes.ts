import type { Optimization } from '../src/optimization/index.js';

/**
 * Indexes the LMS queries need but the original migrations forgot. Built CONCURRENTLY on PostgreSQL,
 * so course pages and grading stay writable while they build on big tenants.
 */
export default [
  {
    kind: 'index',
    name: 'enrollments_course_id_idx',
    description: 'course roster: the (user_id, course_id) unique index cannot serve lookups by course alone',
    table: 'enrollments',
    columns: ['course_id'],
  },
  {
    kind: 'index',
    name: 'submissions_user_submitted_idx',
    description: "a student's submissions, newest first",
    table: 'submissions',
    columns: ['user_id', 'submitted_at desc'],
  },
] satisfies Optimization[];
