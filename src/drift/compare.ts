import type { ColumnShape, IndexShape, PartShape, SchemaShape, TableShape } from '../dialect/schema-shape.js';

/**
 * How a tenant's structure differs from its version's majority: `+` it has something the majority has
 * not, `-` it lacks something, `~` it has it differently, `!` it has an index the server does not use
 * (PostgreSQL INVALID, SQL Server disabled) — worse than extra: every write maintains it, no query uses it.
 */
export type DriftKind = '+' | '-' | '~' | '!';

export interface DriftDifference {
  kind: DriftKind;
  /** `table public.users`, `column public.users.locale`, `index users_email_idx`, `view public.v`. */
  object: string;
  /** What the majority has (null: nothing). */
  expected: string | null;
  /** What this tenant has (null: nothing). */
  found: string | null;
}

export function describeColumn(c: ColumnShape): string {
  return [
    c.type,
    c.nullable ? '' : 'not null',
    c.default === null ? '' : `default ${c.default}`,
    c.extra ?? '',
  ]
    .filter(Boolean)
    .join(' ');
}

const describeIndex = (i: IndexShape) => (i.valid ? i.definition : `INVALID ${i.definition}`);

function byName<T extends { name: string }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((item) => [item.name, item]));
}

/** Every name of both lists: the expected order first, then what only `found` has. */
function namesOf<T extends { name: string }>(expected: readonly T[], found: readonly T[]): string[] {
  return [...new Set([...expected.map((x) => x.name), ...found.map((x) => x.name)])];
}

function compareParts<T extends { name: string }>(
  object: (name: string) => string,
  expected: readonly T[],
  found: readonly T[],
  describe: (part: T) => string,
): DriftDifference[] {
  const e = byName(expected);
  const f = byName(found);
  const out: DriftDifference[] = [];
  for (const name of namesOf(expected, found)) {
    const was = e.get(name);
    const is = f.get(name);
    const [expectedText, foundText] = [was ? describe(was) : null, is ? describe(is) : null];
    if (expectedText === foundText) continue;
    out.push({
      kind: !is ? '-' : !was ? '+' : '~',
      object: object(name),
      expected: expectedText,
      found: foundText,
    });
  }
  return out;
}

function compareIndexes(expected: readonly IndexShape[], found: readonly IndexShape[]): DriftDifference[] {
  const e = byName(expected);
  const f = byName(found);
  return compareParts((name) => `index ${name}`, expected, found, describeIndex).map((d) => {
    const name = d.object.slice('index '.length);
    const is = f.get(name);
    const was = e.get(name);
    // An unusable index is `!` whether the majority has a usable one or none at all.
    return is && !is.valid && (!was || was.valid) ? { ...d, kind: '!' as const } : d;
  });
}

function columnOrder(key: string, expected: TableShape, found: TableShape): DriftDifference[] {
  const inFound = new Set(found.columns.map((c) => c.name));
  const inExpected = new Set(expected.columns.map((c) => c.name));
  const a = expected.columns.map((c) => c.name).filter((n) => inFound.has(n));
  const b = found.columns.map((c) => c.name).filter((n) => inExpected.has(n));
  if (a.join('\0') === b.join('\0')) return [];
  return [
    {
      kind: '~',
      object: `table ${key}`,
      expected: `columns ${a.join(', ')}`,
      found: `columns ${b.join(', ')}`,
    },
  ];
}

function compareTable(key: string, expected: TableShape, found: TableShape): DriftDifference[] {
  const properties = (t: TableShape) =>
    Object.entries(t.properties).map(([name, definition]) => ({ name, definition }));
  const part = (p: PartShape) => p.definition;
  const out = [
    ...compareParts((name) => `table ${key} ${name}`, properties(expected), properties(found), part),
    ...compareParts((name) => `column ${key}.${name}`, expected.columns, found.columns, describeColumn),
    ...columnOrder(key, expected, found),
    ...compareIndexes(expected.indexes, found.indexes),
    ...compareParts((name) => `constraint ${name} on ${key}`, expected.constraints, found.constraints, part),
    ...compareParts((name) => `trigger ${name} on ${key}`, expected.triggers, found.triggers, part),
  ];
  // The whole statement (SQLite) differs with any part: said only when no part says why.
  if (out.length === 0 && expected.definition !== found.definition) {
    out.push({
      kind: '~',
      object: `table ${key}`,
      expected: expected.definition ?? null,
      found: found.definition ?? null,
    });
  }
  return out;
}

const columnList = (t: TableShape) => `columns ${t.columns.map((c) => c.name).join(', ')}`;
const sorted = (keys: Iterable<string>) => [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** What `found` has that `expected` (the majority's shape) has not, lacks, or has otherwise. Pure. */
export function compareShapes(expected: SchemaShape, found: SchemaShape): DriftDifference[] {
  const out: DriftDifference[] = [];
  for (const key of sorted([...Object.keys(expected.tables), ...Object.keys(found.tables)])) {
    const e = expected.tables[key];
    const f = found.tables[key];
    if (!f) out.push({ kind: '-', object: `table ${key}`, expected: columnList(e!), found: null });
    else if (!e) out.push({ kind: '+', object: `table ${key}`, expected: null, found: columnList(f) });
    else out.push(...compareTable(key, e, f));
  }
  for (const key of sorted([...Object.keys(expected.objects), ...Object.keys(found.objects)])) {
    const e = expected.objects[key] ?? null;
    const f = found.objects[key] ?? null;
    if (e === f) continue;
    out.push({ kind: f === null ? '-' : e === null ? '+' : '~', object: key, expected: e, found: f });
  }
  return out;
}

/** A definition on one line: views and functions keep the server's line breaks. */
const flat = (text: string | null) => (text === null ? null : text.replace(/\s+/g, ' ').trim());

/** One line a person reads: `+ index accounts_email_idx: CREATE INDEX …`, `~ column t.c: a → b`. */
export function describeDifference(d: DriftDifference): string {
  const [expected, found] = [flat(d.expected), flat(d.found)];
  if (d.kind === '!') return `! INVALID ${d.object}${found ? `: ${found.replace(/^INVALID /, '')}` : ''}`;
  if (d.kind === '+') return `+ ${d.object}${found ? `: ${found}` : ''}`;
  if (d.kind === '-') return `- ${d.object}${expected ? `: ${expected}` : ''}`;
  return `~ ${d.object}: ${expected ?? '(none)'} → ${found ?? '(none)'}`;
}
