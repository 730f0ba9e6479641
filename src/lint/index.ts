// `dbfleet lint`: unsafe migrations flagged before they run.
export { acceptsOf, parseSqlAccepts } from './accept.js';
export { type CatalogRule, LINT_RULES, ruleInfo } from './catalog.js';
export { type LintOptions, lint } from './lint.js';
export type { LintFinding, LintReport, LintSummary, MigrationLint } from './types.js';
