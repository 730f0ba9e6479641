// Optimizations: index builds, batched cleanup, statistics and custom maintenance, per tenant.

export { definitionChecksum, stableStringify } from './checksum.js';
export { parseIndexColumn } from './columns.js';
export { type OptimizeOptions, optimize, resolveOptimizations } from './fleet.js';
export { loadOptimizations } from './loader.js';
export {
  backoffDelay,
  cleanupStop,
  decideIndex,
  type IndexDecision,
  indexAction,
  nextBatchLimit,
  optimizationsFor,
  type PreviousRun,
  selectOptimizations,
  wouldDelete,
} from './planner.js';
export { RECORD_TABLE, readPreviousRuns } from './records.js';
export { optimizeTenant, type TenantOptimizeOptions, type TenantOptimizeResult } from './runner.js';
export type {
  AnalyzeOptimization,
  CleanupOptimization,
  CustomContext,
  CustomOptimization,
  CustomResult,
  IndexOptimization,
  LoadedOptimization,
  Optimization,
  OptimizationAction,
  OptimizationKind,
  OptimizationOutcome,
  OptimizeDetails,
} from './types.js';
export {
  type DefinitionSource,
  predicateProblem,
  validateOptimization,
  validateOptimizations,
} from './validate.js';
