import { UsageError } from '../core/errors.js';
import type { Migration } from '../migration/types.js';
import { LINT_RULES } from './catalog.js';

/**
 * How a migration accepts a finding it knows about, with the reason it is safe there:
 *   `.sql`:  -- dbfleet: allow=<rule> reason: <why it is safe here>     (one line per rule)
 *   module:  export const config = { allow: { '<rule>': '<why it is safe here>' } }
 * A reason is required: the next reader must be able to judge the acceptance without asking.
 */
const ALLOW_LINE = /^\s*--\s*dbfleet:\s*allow\s*=\s*(\S*)\s*(.*?)\s*$/i;
const REASON = /^reason\s*:\s*(.*)$/i;

export interface ParsedAccepts {
  /** rule id → reason */
  accepts: Map<string, string>;
  problems: string[];
}

/** The `allow=` lines of a `.sql` migration. */
export function parseSqlAccepts(sql: string): ParsedAccepts {
  const accepts = new Map<string, string>();
  const problems: string[] = [];
  sql.split(/\r?\n|\r/).forEach((line, i) => {
    const match = ALLOW_LINE.exec(line);
    if (!match) return;
    const rule = match[1]!;
    const reason = REASON.exec(match[2]!)?.[1]?.trim();
    if (!rule) problems.push(`line ${i + 1}: allow= names no rule`);
    else if (!reason)
      problems.push(
        `line ${i + 1}: allow=${rule} needs a reason: -- dbfleet: allow=${rule} reason: <why it is safe here>`,
      );
    else accepts.set(rule, reason);
  });
  return { accepts, problems };
}

function unknownRule(rule: string): string {
  return `allow=${rule}: no such lint rule (rules: ${[...LINT_RULES.keys()].join(', ')})`;
}

/** A migration's accepts, checked: every rule exists, every reason is given. */
export function acceptsOf(migration: Migration): ParsedAccepts {
  const parsed: ParsedAccepts = migration.sql
    ? parseSqlAccepts(migration.sql.up)
    : { accepts: new Map(), problems: [] };
  for (const [rule, reason] of Object.entries(migration.config.allow ?? {})) {
    if (reason.trim()) parsed.accepts.set(rule, reason.trim());
    else parsed.problems.push(`config.allow['${rule}'] needs a reason: why it is safe here`);
  }
  for (const rule of parsed.accepts.keys())
    if (!LINT_RULES.has(rule)) parsed.problems.push(unknownRule(rule));
  return parsed;
}

/** Every migration's accepts by migration name; a mistake in any of them is a usage error (exit 2). */
export function acceptsOfAll(migrations: readonly Migration[]): Map<string, Map<string, string>> {
  const all = new Map<string, Map<string, string>>();
  const problems: string[] = [];
  for (const migration of migrations) {
    const parsed = acceptsOf(migration);
    problems.push(...parsed.problems.map((p) => `${migration.file}: ${p}`));
    all.set(migration.name, parsed.accepts);
  }
  if (problems.length) throw new UsageError('cannot read the lint accepts of the migrations:', problems);
  return all;
}
