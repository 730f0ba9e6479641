import type { Optimization } from '../src/optimization/index.js';

/** Last: fresh planner statistics after the new indexes and the cleanup, for tables that changed. */
export default {
  kind: 'analyze',
  name: 'refresh_statistics',
  onlyModified: true,
} satisfies Optimization;
