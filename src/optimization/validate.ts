import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { DIALECTS } from '../core/tenant.js';
import { definitionChecksum } from './checksum.js';
import { isIdentifier, parseIndexColumn } from './columns.js';
import type { LoadedOptimization, Optimization } from './types.js';

const KINDS = ['index', 'cleanup', 'analyze', 'custom'] as const;

const name = z
  .string({ error: 'is required' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and _, starting with a letter or _')
  .max(63, 'must be at most 63 characters (it names the index, and PostgreSQL truncates longer names)');
const identifier = z
  .string({ error: 'is required' })
  .refine(
    isIdentifier,
    'must be a plain table or column name (letters, digits, _ and $, at most 63 characters)',
  );
const millis = z.number().int('must be a whole number of milliseconds').min(0, 'must not be negative');
const count = (min: number) => z.number().int('must be a whole number').min(min, `must be at least ${min}`);

const common = {
  name,
  description: z.string().optional(),
  dialects: z.array(z.enum(DIALECTS)).min(1, 'must name at least one dialect').optional(),
  lockTimeoutMs: millis.optional(),
  statementTimeoutMs: millis.optional(),
  retries: count(0).max(20, 'must be at most 20').optional(),
  retryDelayMs: millis.optional(),
};

/** A cleanup predicate must select rows: blank, always-true and multi-statement predicates are refused. */
export function predicateProblem(where: string): string | undefined {
  const trimmed = where.trim();
  if (trimmed === '') return 'must not be empty: a cleanup without a predicate would delete every row';
  const compact = trimmed.toLowerCase().replace(/[\s()]/g, '');
  if (['true', '1=1', "'1'='1'", 't', '1', 'nottrue=false'].includes(compact)) {
    return `"${trimmed}" is always true: a cleanup must select the rows it deletes`;
  }
  if (trimmed.includes(';')) return 'must be one SQL condition, without ";"';
  return undefined;
}

/** knex's placeholders: `?` (value), `??` (identifier); `\\?` is a literal question mark. */
export function countPlaceholders(sql: string): number {
  return (sql.match(/\\?\?\??/g) ?? []).filter((m) => m !== '\\?').length;
}

const index = z.strictObject({
  ...common,
  kind: z.literal('index'),
  table: identifier,
  columns: z
    .array(
      z
        .string()
        .refine(
          (c) => parseIndexColumn(c) !== undefined,
          'must be a column name, optionally with asc/desc and nulls first/last, or a parenthesized expression',
        ),
      {
        error: 'is required: the columns (or expressions) of the index',
      },
    )
    .min(1, 'must list at least one column'),
  unique: z.boolean().optional(),
  where: z
    .string()
    .refine((w) => w.trim() !== '', 'must not be empty (leave it out for a full index)')
    .optional(),
  include: z.array(identifier).min(1).optional(),
  method: z.enum(['btree', 'hash', 'gin', 'gist', 'brin', 'spgist']).optional(),
});

const cleanup = z
  .strictObject({
    ...common,
    kind: z.literal('cleanup'),
    table: identifier,
    where: z.string({ error: 'is required: the rows to delete' }).superRefine((w, ctx) => {
      const problem = predicateProblem(w);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    bindings: z
      .union([z.array(z.unknown()), z.custom<(c: unknown) => unknown[]>((v) => typeof v === 'function')], {
        error: 'must be an array of values or a function returning one',
      })
      .optional(),
    batchSize: count(1).max(100_000, 'must be at most 100000 (keep each transaction short)').optional(),
    maxRows: count(1).optional(),
    maxDurationMs: count(1).optional(),
    pauseMs: millis.optional(),
  })
  .superRefine((c, ctx) => {
    if (!Array.isArray(c.bindings) || predicateProblem(c.where)) return;
    const expected = countPlaceholders(c.where);
    if (expected !== c.bindings.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['bindings'],
        message: `has ${c.bindings.length} value(s) but the predicate has ${expected} placeholder(s)`,
      });
    }
  });

const analyze = z.strictObject({
  ...common,
  kind: z.literal('analyze'),
  tables: z.array(identifier).min(1, 'must list at least one table (leave it out for all tables)').optional(),
  onlyModified: z.boolean().optional(),
});

const custom = z.strictObject({
  ...common,
  kind: z.literal('custom'),
  run: z.custom<(...args: never) => unknown>(
    (v) => typeof v === 'function',
    'is required: a function (knex, context) => …',
  ),
  once: z.boolean().optional(),
});

const schemas = { index, cleanup, analyze, custom } as const;

/** Validates one definition; every problem is returned, none thrown. */
export function validateOptimization(input: unknown): { definition?: Optimization; problems: string[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { problems: ['must be an object { kind, name, … }'] };
  }
  const kind = (input as { kind?: unknown }).kind;
  if (!KINDS.includes(kind as (typeof KINDS)[number])) {
    return {
      problems: [`kind must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind) ?? 'nothing'})`],
    };
  }
  const result = schemas[kind as (typeof KINDS)[number]].safeParse(input);
  if (result.success) return { definition: input as Optimization, problems: [] };
  return {
    problems: result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path} ${issue.message}` : issue.message;
    }),
  };
}

export interface DefinitionSource {
  value: unknown;
  file?: string;
}

/**
 * Validates a whole directory's definitions at once and throws one UsageError listing every problem
 * (duplicate names included), so nothing runs on any tenant until all of them are right.
 */
export function validateOptimizations(sources: readonly DefinitionSource[]): LoadedOptimization[] {
  const problems: string[] = [];
  const loaded: LoadedOptimization[] = [];
  const firstFile = new Map<string, string>();
  sources.forEach((source, i) => {
    const rawName = (source.value as { name?: unknown } | undefined)?.name;
    const label = `${source.file ? `${source.file}: ` : ''}${typeof rawName === 'string' && rawName ? `"${rawName}"` : `definition ${i + 1}`}`;
    const { definition, problems: found } = validateOptimization(source.value);
    for (const p of found) problems.push(`${label}: ${p}`);
    if (!definition) return;
    const previous = firstFile.get(definition.name.toLowerCase());
    if (previous !== undefined) {
      problems.push(
        `${label}: the name is already used${previous ? ` in ${previous}` : ''} (names must be unique)`,
      );
      return;
    }
    firstFile.set(definition.name.toLowerCase(), source.file ?? '');
    loaded.push({
      definition,
      checksum: definitionChecksum(definition),
      ...(source.file ? { file: source.file } : {}),
    });
  });
  if (problems.length) throw new UsageError('invalid optimizations', problems);
  return loaded;
}
