// The dialects' drift shapes from catalog rows (pure), and the backup hash they share the rows with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { hashOf } from '../../src/dialect/fingerprint-hash.js';
import type { CatalogRows } from '../../src/dialect/mssql/fingerprint.js';
import { mssqlShape, mssqlTypeName } from '../../src/dialect/mssql/schema-shape.js';
import { postgresTableHash } from '../../src/dialect/postgres/fingerprint.js';
import type { TableRow } from '../../src/dialect/postgres/fingerprint-sql.js';
import { postgresShape } from '../../src/dialect/postgres/schema-shape.js';
import { fingerprintSqlite } from '../../src/dialect/sqlite/fingerprint.js';
import { readSqliteShape } from '../../src/dialect/sqlite/schema-shape.js';
import { compareShapes } from '../../src/drift/compare.js';

function pgUsers(schema = 'acme'): TableRow {
  return {
    oid: '1',
    schema,
    name: 'users',
    kind: 'r',
    persistence: 'p',
    partkey: null,
    partbound: null,
    columns: [
      ['id', 'bigint', true, null, 'a', '', null],
      ['email', 'character varying(100)', true, "'x'::character varying", '', '', null],
      ['lower_email', 'text', false, 'lower((email)::text)', '', 's', 'pg_catalog.C'],
    ],
    indexes: [
      [
        'users_email_key',
        `CREATE UNIQUE INDEX users_email_key ON ${schema}.users USING btree (email)`,
        false,
      ],
      ['users_pkey', `CREATE UNIQUE INDEX users_pkey ON ${schema}.users USING btree (id)`, true],
    ],
    constraints: [['users_pkey', 'PRIMARY KEY (id)']],
    triggers: [
      [
        'touch',
        `CREATE TRIGGER touch BEFORE UPDATE ON ${schema}.users FOR EACH ROW EXECUTE FUNCTION touch()`,
        'D',
      ],
    ],
  };
}

describe('PostgreSQL', () => {
  test('the backup hash covers what it always did for valid indexes; triggers are not in it', () => {
    const row = pgUsers();
    const allValid = {
      ...row,
      indexes: row.indexes.map(([n, d]): [string, string, boolean] => [n, d, true]),
    };
    const legacy = hashOf([
      row.kind,
      row.persistence,
      row.partkey,
      row.partbound,
      row.columns,
      allValid.indexes.map((i) => i[1]),
      row.constraints.map(([name, def]) => `${name} ${def}`),
    ]);
    assert.equal(postgresTableHash(allValid), legacy);
    assert.equal(postgresTableHash({ ...allValid, triggers: [] }), legacy);
  });

  test('an INVALID index is not in the backup hash: pg_dump leaves it out of every dump', () => {
    const row = pgUsers();
    const withoutInvalid = { ...row, indexes: row.indexes.filter(([, , valid]) => valid) };
    assert.equal(postgresTableHash(row), postgresTableHash(withoutInvalid));
    const allValid = {
      ...row,
      indexes: row.indexes.map(([n, d]): [string, string, boolean] => [n, d, true]),
    };
    assert.notEqual(postgresTableHash(allValid), postgresTableHash(withoutInvalid));
  });

  test('the shape: columns described, validity and triggers kept, the own schema left out', () => {
    const own = { schema: 'acme', quoted: 'acme' };
    const shape = postgresShape(
      [pgUsers()],
      [{ kind: 'view', schema: 'acme', name: 'v', def: ' SELECT 1;' }],
      own,
    );
    assert.deepEqual(Object.keys(shape.tables), ['users']);
    assert.deepEqual(shape.objects, { 'view v': ' SELECT 1;' });
    const users = shape.tables.users!;
    assert.deepEqual(users.columns, [
      { name: 'id', type: 'bigint', nullable: false, default: null, extra: 'generated always as identity' },
      { name: 'email', type: 'character varying(100)', nullable: false, default: "'x'::character varying" },
      {
        name: 'lower_email',
        type: 'text',
        nullable: true,
        default: null,
        extra: 'generated always as (lower((email)::text)) stored collate pg_catalog.C',
      },
    ]);
    assert.deepEqual(users.indexes[0], {
      name: 'users_email_key',
      definition: 'CREATE UNIQUE INDEX users_email_key ON users USING btree (email)',
      valid: false,
    });
    assert.equal(
      users.triggers[0]?.definition,
      'CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch() (disabled)',
    );
    // Two schema tenants of one database with the same structure have the same shape.
    const other = postgresShape([pgUsers('Other-1')], [], { schema: 'Other-1', quoted: '"Other-1"' });
    const quotedRow = pgUsers('"Other-1"');
    const fromQuoted = postgresShape([{ ...quotedRow, schema: 'Other-1' }], [], {
      schema: 'Other-1',
      quoted: '"Other-1"',
    });
    assert.deepEqual(compareShapes(postgresShape([pgUsers()], [], own), fromQuoted), []);
    assert.deepEqual(Object.keys(other.tables), ['users']);
  });

  test('partitioning and persistence are table properties', () => {
    const row = { ...pgUsers(), kind: 'p', partkey: 'RANGE (id)', persistence: 'u' };
    assert.deepEqual(postgresShape([row], [], null).tables['acme.users']?.properties, {
      'partitioned by': 'RANGE (id)',
      persistence: 'unlogged',
    });
  });
});

describe('SQLite', () => {
  const db = new Database(':memory:');
  db.exec(`create table accounts (id integer primary key, email text not null default 'x', unique (email));
    create table projects (id integer primary key, account_id int references accounts(id) on delete cascade,
      total int generated always as (id * 2) stored);
    create index projects_account on projects (account_id);
    create view v as select id from accounts;
    create trigger t after insert on accounts begin select 1; end;`);

  test('the shape from the same catalog rows as the fingerprint', () => {
    const shape = readSqliteShape(db);
    assert.deepEqual(Object.keys(shape.tables), ['accounts', 'projects']);
    assert.deepEqual(Object.keys(shape.objects), ['trigger t', 'view v']);
    const accounts = shape.tables.accounts!;
    assert.deepEqual(accounts.columns, [
      { name: 'id', type: 'INTEGER', nullable: true, default: null, extra: 'primary key' },
      { name: 'email', type: 'TEXT', nullable: false, default: "'x'" },
    ]);
    assert.equal(accounts.indexes[0]?.name, 'sqlite_autoindex_accounts_1');
    assert.match(accounts.definition ?? '', /^CREATE TABLE accounts \(id integer primary key, email/);
    const projects = shape.tables.projects!;
    assert.deepEqual(projects.constraints, [
      {
        name: 'foreign key (account_id)',
        definition:
          'FOREIGN KEY (account_id) REFERENCES accounts (id) ON UPDATE NO ACTION ON DELETE CASCADE MATCH NONE',
      },
    ]);
    assert.equal(projects.columns[2]?.extra, 'generated stored');
    assert.deepEqual(projects.indexes, [
      {
        name: 'projects_account',
        definition: 'CREATE INDEX projects_account on projects (account_id)',
        valid: true,
      },
    ]);
  });

  test('a dropped index is a difference; the fingerprint sees it too', () => {
    const copy = new Database(':memory:');
    copy.exec(
      db
        .prepare("select group_concat(sql, ';\n') as s from sqlite_master where sql is not null")
        .pluck()
        .get() as string,
    );
    assert.deepEqual(compareShapes(readSqliteShape(db), readSqliteShape(copy)), []);
    assert.equal(fingerprintSqlite(copy, 'schema').schemaHash, fingerprintSqlite(db, 'schema').schemaHash);
    copy.exec('drop index projects_account');
    assert.deepEqual(
      compareShapes(readSqliteShape(db), readSqliteShape(copy)).map((d) => `${d.kind} ${d.object}`),
      ['- index projects_account'],
    );
    assert.notEqual(fingerprintSqlite(copy, 'schema').schemaHash, fingerprintSqlite(db, 'schema').schemaHash);
  });
});

describe('SQL Server', () => {
  function catalog(schema = 'dbo'): CatalogRows {
    const t = { schema_name: schema, table_name: 'orders' };
    return {
      tables: [{ ...t, temporal_type: 0, is_memory_optimized: false }],
      columns: [
        {
          ...t,
          column_name: 'id',
          type_name: 'int',
          max_length: 4,
          precision: 10,
          scale: 0,
          is_nullable: false,
          is_identity: true,
        },
        {
          ...t,
          column_name: 'note',
          type_name: 'nvarchar',
          max_length: 400,
          precision: 0,
          scale: 0,
          is_nullable: 1,
          is_identity: 0,
          default_definition: "(N'')",
        },
      ],
      indexes: [
        {
          ...t,
          index_name: 'PK_orders',
          type_desc: 'CLUSTERED',
          is_unique: true,
          is_primary_key: true,
          column_name: 'id',
          key_ordinal: 1,
        },
        {
          ...t,
          index_name: 'ix_note',
          type_desc: 'NONCLUSTERED',
          is_unique: false,
          is_disabled: true,
          column_name: 'note',
          key_ordinal: 1,
          is_descending_key: true,
        },
        {
          ...t,
          index_name: 'ix_note',
          type_desc: 'NONCLUSTERED',
          is_unique: false,
          is_disabled: true,
          column_name: 'id',
          is_included_column: true,
        },
      ],
      constraints: [
        { ...t, constraint_name: 'ck', kind: 'CHECK', definition: '([id]>(0))', is_disabled: false },
        {
          ...t,
          constraint_name: 'fk',
          kind: 'FOREIGN KEY',
          definition: 'CASCADE NO_ACTION',
          is_disabled: false,
          column_name: 'id',
          referenced: `${schema}.customers.id`,
          ordinal: 1,
        },
      ],
      objects: [{ object_key: `view ${schema}.v`, definition: 'create view v as select 1 as x' }],
    };
  }

  test('types as T-SQL spells them', () => {
    assert.equal(mssqlTypeName({ type_name: 'nvarchar', max_length: 400 }), 'nvarchar(200)');
    assert.equal(mssqlTypeName({ type_name: 'varbinary', max_length: -1 }), 'varbinary(max)');
    assert.equal(mssqlTypeName({ type_name: 'decimal', precision: 10, scale: 2 }), 'decimal(10,2)');
    assert.equal(mssqlTypeName({ type_name: 'datetime2', scale: 7 }), 'datetime2(7)');
    assert.equal(mssqlTypeName({ type_name: 'int', max_length: 4 }), 'int');
  });

  test('the shape: indexes from their column rows, a disabled index unusable, keys relative to the schema', () => {
    const shape = mssqlShape(catalog('t1'), 't1');
    assert.deepEqual(Object.keys(shape.tables), ['orders']);
    assert.deepEqual(Object.keys(shape.objects), ['view v']);
    const orders = shape.tables.orders!;
    assert.deepEqual(orders.columns[1], {
      name: 'note',
      type: 'nvarchar(200)',
      nullable: true,
      default: "(N'')",
    });
    assert.deepEqual(orders.indexes, [
      { name: 'PK_orders', definition: 'CLUSTERED PRIMARY KEY (id)', valid: true },
      { name: 'ix_note', definition: 'NONCLUSTERED (note DESC) INCLUDE (id)', valid: false },
    ]);
    assert.deepEqual(orders.constraints, [
      { name: 'ck', definition: 'CHECK ([id]>(0))' },
      {
        name: 'fk',
        definition: 'FOREIGN KEY (id) REFERENCES customers (id) ON DELETE CASCADE ON UPDATE NO_ACTION',
      },
    ]);
    // Another schema tenant with the same structure: the same shape.
    assert.deepEqual(compareShapes(shape, mssqlShape(catalog('t2'), 't2')), []);
    assert.equal(compareShapes(mssqlShape(catalog(), null), shape).length > 0, true);
  });
});
