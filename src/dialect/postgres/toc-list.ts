/**
 * Reading `pg_restore --list` the way pg_restore writes it. Each entry is one line:
 * `<dumpId>; <tableoid> <oid> <desc> <schema> <name> <owner>`, where every name went through
 * pg_restore's `sanitize_line()` (a newline or carriage return becomes a space) and nothing is quoted —
 * so a schema, table or owner may itself contain spaces, and `TABLE DATA x` can be table `x` of a
 * schema named `DATA`. The fingerprint's keys are compared by those same rules, never the other way
 * round (a printed line cannot be parsed back into names).
 */

/** A name as pg_restore prints it in a listing. */
export function tocPrintedName(name: string): string {
  return name.replace(/[\r\n]/g, ' ');
}

/**
 * The text after `TABLE ` of every table's own entry. Its catalog id is pg_class's (tableoid ≠ 0);
 * `TABLE DATA` and `TABLE ATTACH` entries carry tableoid 0, whatever the schema is called.
 */
function tableEntries(list: string): string[] {
  const entries: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^\d+; (\d+) \d+ TABLE (.*)$/.exec(line);
    if (m?.[2] !== undefined && m[1] !== '0') entries.push(m[2]);
  }
  return entries;
}

/** `schema.table` → every way to read it as schema + table (either part may hold a dot). */
function splits(key: string): [string, string][] {
  const parts = key.split('.');
  const out: [string, string][] = [];
  for (let i = 1; i < parts.length; i++) out.push([parts.slice(0, i).join('.'), parts.slice(i).join('.')]);
  return out;
}

/**
 * The fingerprint's tables (`schema.table` keys) that the listing lacks. An entry belongs to the longest
 * `<schema> <table> ` it starts with (the owner follows): table `a b` owned by `app` is not table `a`
 * owned by `b app`. Two tables printed alike (`a\nb`, `a b`) need two entries.
 */
export function tablesMissingFromToc(list: string, keys: readonly string[]): string[] {
  const byPrefix = new Map<string, string[]>();
  for (const key of keys) {
    for (const [schema, table] of splits(key)) {
      const prefix = `${tocPrintedName(schema)} ${tocPrintedName(table)} `;
      const owners = byPrefix.get(prefix) ?? [];
      owners.push(key);
      byPrefix.set(prefix, owners);
    }
  }
  const present = new Set<string>();
  for (const entry of tableEntries(list)) {
    // An empty owner leaves no trailing space: pad so the last name still ends in one.
    const text = `${entry} `;
    let best: string[] | undefined;
    for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
      best = byPrefix.get(text.slice(0, i + 1)) ?? best;
    }
    const key = best?.find((k) => !present.has(k));
    if (key !== undefined) present.add(key);
  }
  return keys.filter((key) => !present.has(key));
}

/**
 * The listing with a schema tenant's own `SCHEMA` entry commented out, for `pg_restore --use-list`. With it,
 * `--clean` would drop the schema itself, which fails while anything the archive does not hold lives in it —
 * an extension's members above all (pg_dump --schema never dumps an extension); the schema exists, so
 * nothing needs to create it either. Its grants and comment are separate entries and still restored.
 */
export function listWithoutSchemaEntry(list: string, schema: string): string {
  const tag = `SCHEMA - ${tocPrintedName(schema)} `;
  return list
    .split('\n')
    .map((line) => {
      const m = /^\d+; 2615 \d+ (.*)$/.exec(line);
      return m && `${m[1]} `.startsWith(tag) && !`${m[1]} `.slice(tag.length).trim().includes(' ')
        ? `;${line}`
        : line;
    })
    .join('\n');
}
