// Names PostgreSQL would change, and ids that would escape the backup folder, are
// refused at validation — every problem at once, each naming its tenant — before anything runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { validateInventory } from '../../src/inventory/validate.js';

function problemsOf(entries: unknown[]): string[] {
  try {
    validateInventory(entries, 'inventory.json', '/tmp');
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err.problems ?? [];
  }
  assert.fail('validation passed');
}

const pg = (id: string, database: string, schema?: string) => ({
  id,
  dialect: 'postgres',
  connection: { host: 'db1', database },
  ...(schema !== undefined ? { schema } : {}),
});

describe('inventory validation: identifiers', () => {
  it('refuses hostile ids: path traversal, separators, NUL, newline', () => {
    const hostile = ['..', '.', '../x', 'a/../../etc', '/abs', 'a\\b', 'a\0b', 'a\nb', 'a\rb', ' a', '-rf'];
    const problems = problemsOf(hostile.map((id) => pg(id, 'x')));
    assert.equal(problems.length, hostile.length, problems.join('\n'));
    for (const [i, p] of problems.entries()) assert.match(p, new RegExp(`entry ${i + 1}\\b.*id must be`));
  });

  it('refuses PostgreSQL names over 63 bytes, dotted schemas and NULs, all at once, naming the tenant', () => {
    const base = 'x'.repeat(63);
    const problems = problemsOf([
      pg('long-a', 'shared', `${base}_a`), // these two would share schema `${base}`
      pg('long-b', 'shared', `${base}_b`),
      pg('euro', 'shared', '€'.repeat(22)), // 22 characters, 66 bytes
      pg('longdb', `${base}y`),
      pg('dotted', 'shared', 'tenant.a'),
      pg('nul', 'shared', 'ten\0ant'),
      pg('fine63', 'shared', base),
      pg('fine-newline', 'shared', 'ten\nant'),
    ]);
    const find = (re: RegExp) => problems.filter((p) => re.test(p));
    assert.equal(
      find(/tenant "long-a".*schema ".*_a" is 65 bytes; PostgreSQL keeps only the first 63/).length,
      1,
    );
    assert.equal(find(/tenant "long-b".*is 65 bytes/).length, 1);
    assert.equal(find(/tenant "euro".*is 66 bytes/).length, 1);
    assert.equal(find(/tenant "longdb".*database name ".*" is 64 bytes/).length, 1);
    assert.equal(find(/tenant "dotted".*schema "tenant\.a" contains '\.'/).length, 1);
    assert.equal(find(/tenant "nul".*contains a NUL character/).length, 1);
    assert.equal(problems.length, 6, problems.join('\n'));
  });

  it('accepts 63-byte names and schemas with a newline (backups compare them as pg_restore prints them)', () => {
    const tenants = validateInventory(
      [pg('a', 'd'.repeat(63), 's'.repeat(63)), pg('b', 'shared', 'ten\nant')],
      'inventory.json',
    );
    assert.deepEqual(
      tenants.map((t) => t.schema),
      ['s'.repeat(63), 'ten\nant'],
    );
  });

  it('does not apply PostgreSQL limits to SQLite files', () => {
    const [t] = validateInventory(
      [{ id: 'lite', dialect: 'sqlite', connection: `${'f'.repeat(100)}.sqlite` }],
      'inventory.json',
      '/tmp',
    );
    assert.equal(t?.database, `/tmp/${'f'.repeat(100)}.sqlite`);
  });
});
