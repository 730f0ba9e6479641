import type { DialectName } from '../core/tenant.js';
import { type LintRuleInfo, LOCK_TIMEOUT_DISABLED } from '../dialect/lint-types.js';
import { MSSQL_RULES } from '../dialect/mssql/lint.js';
import { POSTGRES_RULES } from '../dialect/postgres/lint-rules.js';

export interface CatalogRule extends LintRuleInfo {
  /** The dialects whose migrations the rule reads. */
  dialects: DialectName[];
}

function catalog(): Map<string, CatalogRule> {
  const rules = new Map<string, CatalogRule>();
  const add = (info: LintRuleInfo, dialect: DialectName) => {
    const known = rules.get(info.id);
    if (known) known.dialects.push(dialect);
    else rules.set(info.id, { ...info, dialects: [dialect] });
  };
  for (const info of Object.values(POSTGRES_RULES)) add(info, 'postgres');
  for (const info of Object.values(MSSQL_RULES)) add(info, 'mssql');
  // Shared by both dialects: described once, in words that fit both.
  rules.set(LOCK_TIMEOUT_DISABLED.id, { ...LOCK_TIMEOUT_DISABLED, dialects: ['postgres', 'mssql'] });
  return rules;
}

/** Every rule `dbfleet lint` knows, by id: what `allow=` may name, and what a finding explains. */
export const LINT_RULES: ReadonlyMap<string, CatalogRule> = catalog();

export function ruleInfo(id: string): CatalogRule {
  const rule = LINT_RULES.get(id);
  if (!rule) throw new Error(`no lint rule ${id}`);
  return rule;
}
