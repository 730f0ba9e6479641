import type { DialectName } from '../core/tenant.js';
import {
  type DialectLinter,
  type LintHit,
  LOCK_TIMEOUT_DISABLED,
  type StillNew,
} from '../dialect/lint-types.js';
import type { Migration } from '../migration/types.js';
import { ruleInfo } from './catalog.js';
import type { LintFinding, MigrationLint } from './types.js';

export interface SequenceItem {
  migration: Migration;
  statements: readonly string[];
  notes: readonly string[];
  /** Its findings are reported; otherwise it is read only for what it does to the schema. */
  target: boolean;
}

/** The linter of a dialect, or undefined where lint has no rules for it (SQLite). */
export async function linterFor(
  dialect: DialectName,
  stillNew: StillNew,
): Promise<DialectLinter | undefined> {
  if (dialect === 'postgres') {
    const { createPostgresLinter } = await import('../dialect/postgres/lint.js');
    return createPostgresLinter(stillNew);
  }
  if (dialect === 'mssql') {
    const { createMssqlLinter } = await import('../dialect/mssql/lint.js');
    return createMssqlLinter(stillNew);
  }
  return undefined;
}

/** A config lock timeout of 0 switches dbfleet's own lock timeout off for the whole migration. */
function configHits(migration: Migration): LintHit[] {
  if (migration.config.lockTimeoutMs !== 0) return [];
  return [{ rule: LOCK_TIMEOUT_DISABLED.id, statement: '(migration config) lock timeout 0' }];
}

/**
 * Feeds the migrations to the linter in the order they run and reports the targets' findings, each
 * marked with the reason its migration gives for accepting the rule, if it does.
 */
export function lintSequence(
  dialect: DialectName,
  linter: DialectLinter,
  items: readonly SequenceItem[],
  accepts: ReadonlyMap<string, ReadonlyMap<string, string>>,
): MigrationLint[] {
  const results: MigrationLint[] = [];
  for (const { migration, statements, notes, target } of items) {
    const hits = [
      ...configHits(migration),
      ...linter.lintMigration({
        name: migration.name,
        transactional: migration.config.transaction !== false,
        statements,
      }),
    ];
    if (!target) continue;
    const accepted = accepts.get(migration.name) ?? new Map<string, string>();
    const findings = hits.map((hit): LintFinding => {
      const { why, safe } = ruleInfo(hit.rule);
      const reason = accepted.get(hit.rule);
      return {
        migration: migration.name,
        dialect,
        ...hit,
        why,
        safe,
        ...(reason ? { accepted: reason } : {}),
      };
    });
    const unused = [...accepted.keys()].filter((rule) => !hits.some((h) => h.rule === rule));
    results.push({
      name: migration.name,
      file: migration.file,
      dialect,
      findings,
      notes: [...notes, ...unused.map((rule) => `allow=${rule} accepts nothing: no ${rule} finding here`)],
    });
  }
  return results;
}
