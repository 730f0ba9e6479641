// The lint runner without a database (`lint({ all: true })`): SQL derived as `plan --sql` derives it,
// findings marked accepted or not, migrations read in order for what they did to the schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { validateInventory } from '../../src/inventory/validate.js';
import { lint } from '../../src/lint/index.js';
import type { PendingRead } from '../../src/lint/lint.js';
import type { Migration, MigrationConfig } from '../../src/migration/types.js';

function sqlMigration(name: string, up: string, config: Partial<MigrationConfig> = {}): Migration {
  return {
    name,
    file: `/m/${name}`,
    checksum: '',
    kind: 'sql',
    config: { transaction: true, ...config },
    sql: { up },
    up: async () => {},
  };
}

function moduleMigration(
  name: string,
  up: (knex: Knex) => Promise<void>,
  config: Partial<MigrationConfig> = {},
) {
  return { ...sqlMigration(name, '', config), kind: 'module' as const, sql: undefined, up } as Migration;
}

const base = sqlMigration(
  '001_base.sql',
  'create table t (id int primary key, name varchar(50), legacy text);',
);

describe('lint --all', () => {
  it("derives a knex migration's SQL without a database and flags it", async () => {
    const drop = moduleMigration('002_drop.ts', async (knex) => {
      await knex.schema.alterTable('t', (t) => t.dropColumn('legacy'));
    });
    const report = await lint({ tenants: [], migrations: [base, drop], all: true });
    assert.equal(report.ok, false);
    assert.equal(report.mode, 'all');
    const [finding] = report.migrations.flatMap((m) => m.findings);
    assert.equal(finding?.migration, '002_drop.ts');
    assert.equal(finding?.rule, 'drop-or-rename');
    assert.equal(finding?.statement, 'alter table "t" drop column "legacy"');
    assert.match(finding?.why ?? '', /running app/);
    assert.match(finding?.safe ?? '', /deploy the app/);
    assert.deepEqual(report.summary, { migrations: 2, findings: 1, accepted: 0, unaccepted: 1 });
  });

  it('an accepted finding stays in the report with its reason, and the run is ok', async () => {
    const accepted = sqlMigration(
      '002_index.sql',
      '-- dbfleet: allow=index-not-concurrent reason: t holds a few rows on every tenant\ncreate index i on t (name);',
    );
    const report = await lint({ tenants: [], migrations: [base, accepted], all: true });
    assert.equal(report.ok, true);
    assert.equal(report.migrations[1]?.findings[0]?.accepted, 't holds a few rows on every tenant');
    assert.deepEqual(report.summary, { migrations: 2, findings: 1, accepted: 1, unaccepted: 0 });
  });

  it('notes an accept that accepts nothing', async () => {
    const idle = sqlMigration('002_idle.sql', '-- dbfleet: allow=set-not-null reason: old\nselect 1;');
    const report = await lint({ tenants: [], migrations: [base, idle], all: true });
    assert.equal(report.ok, true);
    assert.deepEqual(report.migrations[1]?.notes, [
      'allow=set-not-null accepts nothing: no set-not-null finding here',
    ]);
  });

  it("flags a migration config's lock timeout of 0", async () => {
    const forever = sqlMigration('002_forever.sql', 'select 1;', { lockTimeoutMs: 0 });
    const report = await lint({ tenants: [], migrations: [forever], all: true });
    assert.deepEqual(
      report.migrations[0]?.findings.map((f) => [f.rule, f.statement]),
      [['lock-timeout-disabled', '(migration config) lock timeout 0']],
    );
  });

  it('reads earlier migrations for the schema: a type known from them decides the rewrite', async () => {
    const widen = sqlMigration('002_widen.sql', 'alter table t alter column name type varchar(80);');
    const shrink = sqlMigration('003_shrink.sql', 'alter table t alter column name type varchar(10);');
    const report = await lint({ tenants: [], migrations: [base, widen, shrink], all: true });
    assert.deepEqual(
      report.migrations.flatMap((m) => m.findings.map((f) => [f.migration, f.rule, f.detail])),
      [['003_shrink.sql', 'alter-column-type', 'column name: varchar(80) → varchar(10) rewrites the table']],
    );
  });

  it('--all: a table is new only within the migration that creates it', async () => {
    const index = sqlMigration('002_index.sql', 'create index i on t (name);');
    const report = await lint({ tenants: [], migrations: [base, index], all: true });
    assert.deepEqual(
      report.migrations.flatMap((m) => m.findings.map((f) => f.rule)),
      ['index-not-concurrent'],
    );
  });

  it('SQL Server: T-SQL rules on the same path', async () => {
    const offline = sqlMigration('001_ix.sql', 'CREATE INDEX ix ON dbo.Orders (name)\nGO\n');
    const report = await lint({ tenants: [], migrations: [offline], all: true, dialect: 'mssql' });
    assert.deepEqual(
      report.migrations.flatMap((m) => m.findings.map((f) => [f.dialect, f.rule])),
      [['mssql', 'mssql-index-offline']],
    );
  });
});

describe('lint with pending migrations the caller already read (the upgrade pre-flight)', () => {
  const tenant = (id: string) =>
    validateInventory([{ id, dialect: 'postgres', connection: `postgres://db1/${id}` }], 'test')[0]!;

  it('lints what each tenant has pending without a database; a tenant not read is listed unread', async () => {
    const index = sqlMigration('002_index.sql', 'create index i on t (name);');
    const report = await lint({
      tenants: [tenant('a'), tenant('b'), tenant('c')],
      migrations: [base, index],
      pendingByTenant: new Map<string, PendingRead>([
        ['a', { pending: ['002_index.sql'] }],
        ['b', { error: { code: 'UNREACHABLE', message: 'connection refused' } }],
      ]),
    });
    assert.deepEqual(
      report.migrations.flatMap((m) => m.findings.map((f) => [f.migration, f.rule])),
      [['002_index.sql', 'index-not-concurrent']],
    );
    assert.deepEqual(report.unreadTenants, [
      { id: 'b', code: 'UNREACHABLE', message: 'connection refused' },
      { id: 'c', code: 'NOT_STARTED', message: 'its migration history was not read' },
    ]);
    assert.equal(report.ok, false);
  });
});
