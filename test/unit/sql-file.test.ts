import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { migrationChecksum } from '../../src/migration/checksum.js';
import { loadMigrations } from '../../src/migration/loader.js';
import { downSqlFileFor, isDownSqlFile, parseSqlSettings } from '../../src/migration/sql-file.js';

describe('sql file names', () => {
  it('recognises down scripts', () => {
    assert.equal(isDownSqlFile('20240101_x.down.sql'), true);
    assert.equal(isDownSqlFile('20240101_x.DOWN.SQL'), true);
    assert.equal(isDownSqlFile('20240101_x.sql'), false);
    assert.equal(isDownSqlFile('20240101_countdown.sql'), false);
  });

  it('finds the down script beside an up script (with or without .up)', () => {
    assert.equal(downSqlFileFor('/m/20240101_x.sql'), '/m/20240101_x.down.sql');
    assert.equal(downSqlFileFor('/m/20240101_x.up.sql'), '/m/20240101_x.down.sql');
  });
});

describe('parseSqlSettings', () => {
  it('defaults to one transaction and no timeout overrides', () => {
    assert.deepEqual(parseSqlSettings('create table t (id int);', 'f.sql'), { transaction: true });
  });

  it('reads transaction, lock_timeout and statement_timeout from a dbfleet comment', () => {
    const sql =
      '-- dbfleet: transaction=false lock_timeout=10s statement_timeout=30m\ncreate index concurrently i on t (c);\n';
    assert.deepEqual(parseSqlSettings(sql, 'f.sql'), {
      transaction: false,
      lockTimeoutMs: 10_000,
      statementTimeoutMs: 1_800_000,
    });
  });

  it('accepts no_transaction, dashes and several comment lines', () => {
    const sql = '--dbfleet: no_transaction\n-- DBFLEET: lock-timeout=250ms\nselect 1;';
    assert.deepEqual(parseSqlSettings(sql, 'f.sql'), { transaction: false, lockTimeoutMs: 250 });
  });

  it('reads settings from a CRLF file (a Windows checkout) exactly as from an LF file', () => {
    const lf = '-- dbfleet: transaction=false lock_timeout=2s\ncreate index concurrently i on t (c);\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    assert.deepEqual(parseSqlSettings(crlf, 'f.sql'), parseSqlSettings(lf, 'f.sql'));
    assert.equal(parseSqlSettings(crlf, 'f.sql').transaction, false);
  });

  it('reads settings after a BOM', () => {
    assert.equal(
      parseSqlSettings('\uFEFF-- dbfleet: transaction=false\nselect 1;', 'f.sql').transaction,
      false,
    );
  });

  it('refuses unknown settings and bad values, naming the file', () => {
    assert.throws(
      () => parseSqlSettings('-- dbfleet: transactoin=false', 'm/001_x.sql'),
      /001_x\.sql: unknown dbfleet setting "transactoin=false"/,
    );
    assert.throws(
      () => parseSqlSettings('-- dbfleet: transaction=no', 'm/001_x.sql'),
      /001_x\.sql: transaction must be true or false/,
    );
    assert.throws(() => parseSqlSettings('-- dbfleet: lock_timeout=soon', 'm/001_x.sql'), /invalid duration/);
  });

  it('ignores ordinary comments', () => {
    assert.deepEqual(
      parseSqlSettings('-- transaction=false\n/* dbfleet: no_transaction */\nselect 1;', 'f.sql'),
      { transaction: true },
    );
  });
});

describe('loading .sql migrations', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-sqlfile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pairs an up script with its .down.sql, never lists the down script as a migration', async () => {
    const d = join(dir, 'pair');
    mkdirSync(d);
    writeFileSync(join(d, '001_a.sql'), 'create table a (id int);');
    writeFileSync(join(d, '001_a.down.sql'), 'drop table a;');
    writeFileSync(
      join(d, '002_b.sql'),
      '-- dbfleet: transaction=false\ncreate index concurrently b_i on a (id);',
    );
    writeFileSync(join(d, 'README.md'), 'not a migration');
    const migrations = await loadMigrations(d);
    assert.deepEqual(
      migrations.map((m) => m.name),
      ['001_a.sql', '002_b.sql'],
    );
    const [a, b] = migrations;
    assert.equal(a!.kind, 'sql');
    assert.deepEqual(a!.sql, { up: 'create table a (id int);', down: 'drop table a;' });
    assert.equal(typeof a!.down, 'function');
    assert.equal(b!.down, undefined, 'no .down.sql: no down');
    assert.equal(b!.config.transaction, false);
    // A down script added or fixed later is not an edit of the applied migration.
    assert.equal(a!.checksum, migrationChecksum('create table a (id int);'));
  });

  it('reports every broken file at once, and a migration present in two formats', async () => {
    const d = join(dir, 'broken');
    mkdirSync(d);
    writeFileSync(join(d, '001_a.sql'), '-- dbfleet: bogus=1\nselect 1;');
    writeFileSync(join(d, '002_b.sql'), 'select 1;');
    writeFileSync(join(d, '002_b.js'), 'export async function up() {}');
    writeFileSync(join(d, '003_c.js'), 'throw new Error("cannot even load");');
    await assert.rejects(loadMigrations(d), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      // 003_c.js loads marked invalid: knex is stopped by it only when it would run it (load-failure tests).
      assert.equal(err.problems.length, 2, err.message);
      assert.ok(err.problems.some((p) => /001_a\.sql: unknown dbfleet setting/.test(p)));
      assert.ok(err.problems.some((p) => /002_b\.sql and 002_b\.js|002_b\.js and 002_b\.sql/.test(p)));
      return true;
    });
  });

  // knex `require`s a TypeScript migration of a CommonJS project compiled to CommonJS: its `export default`
  // is `exports.default`, where knex does not look — the same refusal as in an ES module.
  it('TypeScript in a CommonJS project: export default is not looked into, named exports and export = are read', async () => {
    const d = join(dir, 'ts-commonjs');
    mkdirSync(d);
    writeFileSync(join(d, 'package.json'), '{ "name": "a-commonjs-project" }');
    writeFileSync(join(d, '001_default.ts'), 'export default { up: async () => {}, down: async () => {} };');
    writeFileSync(
      join(d, '002_named.ts'),
      'export async function up(): Promise<void> {}\nexport async function down(): Promise<void> {}',
    );
    writeFileSync(join(d, '003_assigned.ts'), 'export = { up: async () => {}, down: async () => {} };');
    const loaded = await loadMigrations(d);
    assert.deepEqual(
      loaded.map((m) => [m.name, m.invalid ?? 'valid']),
      [
        ['001_default.ts', 'must have both an up and down function'],
        ['002_named.ts', 'valid'],
        ['003_assigned.ts', 'valid'],
      ],
    );
  });

  // knex refuses to run a module without both functions (and does not look into an ES module's
  // `export default { up, down }`), but only when it would run it: the file loads, marked invalid.
  it("a module without both up and down loads marked invalid, in knex's words; CommonJS module.exports is read", async () => {
    const d = join(dir, 'invalid');
    mkdirSync(d);
    writeFileSync(join(d, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(d, '001_no_down.js'), 'export async function up() {}');
    writeFileSync(
      join(d, '002_default_export.js'),
      'export default { up: async () => {}, down: async () => {} };',
    );
    writeFileSync(join(d, '003_named.js'), 'export async function up() {}\nexport async function down() {}');
    writeFileSync(
      join(d, '004_commonjs.cjs'),
      'module.exports = { up: async () => {}, down: async () => {} };',
    );
    const loaded = await loadMigrations(d);
    assert.deepEqual(
      loaded.map((m) => [m.name, m.invalid ?? 'valid']),
      [
        ['001_no_down.js', 'must have both an up and down function'],
        ['002_default_export.js', 'must have both an up and down function'],
        ['003_named.js', 'valid'],
        ['004_commonjs.cjs', 'valid'],
      ],
    );
  });

  it("module files are knex's default extensions, compared exactly; loadExtensions replaces them", async () => {
    const d = join(dir, 'extensions');
    mkdirSync(d);
    const module = 'exports.up = async () => {};\nexports.down = async () => {};\n';
    for (const name of ['001_a.js', '002_b.cjs', '003_c.mjs', '004_d.JS', '005_e.mts', '006_f.sql'])
      writeFileSync(
        join(d, name),
        name.endsWith('.sql')
          ? 'select 1;'
          : name.endsWith('.mjs')
            ? 'export async function up() {}\nexport async function down() {}'
            : module,
      );
    assert.deepEqual(
      (await loadMigrations(d)).map((m) => m.name),
      ['001_a.js', '002_b.cjs', '006_f.sql'],
    );
    assert.deepEqual(
      (await loadMigrations(d, { loadExtensions: ['.mjs'] })).map((m) => m.name),
      ['003_c.mjs', '006_f.sql'],
    );
  });

  it('a missing directory is a usage error', async () => {
    await assert.rejects(loadMigrations(join(dir, 'nope')), UsageError);
  });
});
