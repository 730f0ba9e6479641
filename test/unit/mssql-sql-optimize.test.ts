import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  columnTypeSql,
  countMatchingSql,
  deleteTopSql,
  type KeyColumnType,
  keyColumnTypesSql,
  keysetDeleteSql,
  readKeyColumnTypes,
  statisticsCandidatesSql,
  updateStatisticsSql,
} from '../../src/dialect/mssql/sql/cleanup.js';
import {
  createIndexSql,
  describeTableSql,
  dropIndexSql,
  filterProbeSql,
  indexDefinitionText,
  indexInspectionSql,
  looseFilter,
  planIndexBuild,
  readExistingIndex,
  readTableInfo,
  wantedDefinitionText,
} from '../../src/dialect/mssql/sql/index-build.js';
import type { IndexSpec } from '../../src/dialect/optimize-types.js';

const table = { schema: "o'brien", name: 'a]b' };
const spec = (over: Partial<IndexSpec> = {}): IndexSpec => ({
  name: 'ix_x;drop',
  table: 'a]b',
  columns: [
    { kind: 'column', name: 'tenant_id' },
    { kind: 'column', name: 'created\nat', order: 'desc' },
  ],
  unique: false,
  ...over,
});

describe('index builds', () => {
  test('online where the edition can (Enterprise/Developer, Azure SQL DB, Managed Instance), offline with a warning elsewhere', () => {
    assert.deepEqual(planIndexBuild(3, 'Enterprise Edition', 'ix', '[t]'), { online: true });
    assert.deepEqual(planIndexBuild(5, 'SQL Azure', 'ix', '[t]'), { online: true });
    assert.deepEqual(planIndexBuild(8, 'SQL Azure', 'ix', '[t]'), { online: true });
    for (const edition of [2, 4]) {
      const plan = planIndexBuild(edition, 'Standard Edition', 'ix', '[dbo].[t]');
      assert.equal(plan.online, false);
      assert.equal(
        plan.warning,
        `Standard Edition (EngineEdition ${edition}) cannot build indexes online: ix is built offline and blocks writes to [dbo].[t] until it is done`,
      );
    }
  });

  test('CREATE INDEX, online and offline, with hostile names', () => {
    assert.equal(
      createIndexSql(spec(), table, { online: true }),
      "CREATE NONCLUSTERED INDEX [ix_x;drop] ON [o'brien].[a]]b] ([tenant_id], [created\nat] DESC) WITH (ONLINE = ON);",
    );
    assert.equal(
      createIndexSql(spec({ unique: true, include: ['n]ote'], where: 'deleted_at IS NULL' }), table, {
        online: false,
      }),
      "CREATE UNIQUE NONCLUSTERED INDEX [ix_x;drop] ON [o'brien].[a]]b] ([tenant_id], [created\nat] DESC) INCLUDE ([n]]ote]) WHERE (deleted_at IS NULL);",
    );
    assert.equal(
      createIndexSql(spec(), { name: 't' }, { online: true, dropExisting: true }),
      'CREATE NONCLUSTERED INDEX [ix_x;drop] ON [t] ([tenant_id], [created\nat] DESC) WITH (DROP_EXISTING = ON, ONLINE = ON);',
    );
  });

  test('what SQL Server cannot index is refused with the way out', () => {
    assert.throws(
      () =>
        createIndexSql(spec({ columns: [{ kind: 'expression', sql: '(lower(email))' }] }), table, {
          online: true,
        }),
      /computed column/,
    );
    assert.throws(
      () =>
        createIndexSql(spec({ columns: [{ kind: 'column', name: 'a', nulls: 'last' }] }), table, {
          online: true,
        }),
      /no NULLS LAST/,
    );
    assert.throws(
      () => createIndexSql(spec({ method: 'gin' }), table, { online: true }),
      /no index method "gin"/,
    );
    assert.throws(() => createIndexSql(spec({ columns: [] }), table, { online: true }), /has no columns/);
  });

  test('DROP INDEX', () => {
    assert.equal(dropIndexSql("ix'1", table), "DROP INDEX IF EXISTS [ix'1] ON [o'brien].[a]]b];");
  });

  test('describe a table and read its primary key', () => {
    assert.equal(
      describeTableSql('a]b', "o'brien"),
      [
        'SELECT s.name AS schema_name, t.name AS table_name, c.name AS column_name, ic.key_ordinal',
        'FROM sys.tables AS t',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        'LEFT JOIN sys.indexes AS i ON i.object_id = t.object_id AND i.is_primary_key = 1',
        'LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0',
        'LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id',
        "WHERE t.object_id = OBJECT_ID(N'[o''brien].[a]]b]')",
        'ORDER BY ic.key_ordinal;',
      ].join('\n'),
    );
    assert.match(describeTableSql('t'), /OBJECT_ID\(N'\[t\]'\)/);
    assert.deepEqual(
      readTableInfo([
        { schema_name: 'dbo', table_name: 'orders', column_name: 'tenant', key_ordinal: 1 },
        { schema_name: 'dbo', table_name: 'orders', column_name: 'id', key_ordinal: 2 },
      ]),
      { schema: 'dbo', name: 'orders', primaryKey: ['tenant', 'id'] },
    );
    assert.deepEqual(
      readTableInfo([{ schema_name: 'dbo', table_name: 'heap', column_name: null, key_ordinal: null }]),
      {
        schema: 'dbo',
        name: 'heap',
        primaryKey: [],
      },
    );
    assert.equal(readTableInfo([]), undefined);
  });

  test('inspect an index: catalog query, folded rows, canonical definitions', () => {
    assert.equal(
      indexInspectionSql("ix'1", 'dbo'),
      [
        'SELECT t.name AS table_name, i.type_desc, i.is_unique, i.is_disabled, i.filter_definition,',
        '  c.name AS column_name, ic.key_ordinal, ic.is_descending_key, ic.is_included_column',
        'FROM sys.indexes AS i',
        'JOIN sys.tables AS t ON t.object_id = i.object_id',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        'LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id',
        'LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id',
        "WHERE i.name = N'ix''1' AND s.name = N'dbo'",
        'ORDER BY t.name, ic.is_included_column, ic.key_ordinal, c.name;',
      ].join('\n'),
    );
    const base = {
      type_desc: 'NONCLUSTERED',
      is_unique: true,
      is_disabled: false,
      filter_definition: '([deleted_at] IS NULL)',
    };
    const rows = [
      {
        ...base,
        table_name: 'other',
        column_name: 'x',
        key_ordinal: 1,
        is_descending_key: false,
        is_included_column: false,
      },
      {
        ...base,
        table_name: 'orders',
        column_name: 'b',
        key_ordinal: 2,
        is_descending_key: true,
        is_included_column: false,
      },
      {
        ...base,
        table_name: 'orders',
        column_name: 'a',
        key_ordinal: 1,
        is_descending_key: false,
        is_included_column: false,
      },
      {
        ...base,
        table_name: 'orders',
        column_name: 'z',
        key_ordinal: 0,
        is_descending_key: false,
        is_included_column: 1,
      },
      {
        ...base,
        table_name: 'orders',
        column_name: 'c',
        key_ordinal: 0,
        is_descending_key: false,
        is_included_column: 1,
      },
    ];
    const existing = readExistingIndex(rows, 'orders');
    assert.deepEqual(existing, {
      table: 'orders',
      type: 'NONCLUSTERED',
      unique: true,
      disabled: false,
      filter: '([deleted_at] IS NULL)',
      keys: [
        { name: 'a', descending: false },
        { name: 'b', descending: true },
      ],
      include: ['z', 'c'],
    });
    assert.equal(readExistingIndex(rows, 'missing')?.table, 'other');
    assert.equal(readExistingIndex([], 'orders'), undefined);
    const definition = indexDefinitionText(existing!);
    assert.equal(
      definition,
      'UNIQUE NONCLUSTERED ([a], [b] DESC) INCLUDE ([c], [z]) WHERE ([deleted_at] IS NULL)',
    );
    const wanted = wantedDefinitionText(
      {
        name: 'ix',
        table: 'orders',
        unique: true,
        columns: [
          { kind: 'column', name: 'a', order: 'asc' },
          { kind: 'column', name: 'b', order: 'desc' },
        ],
        include: ['z', 'c'],
        where: 'deleted_at IS NULL',
      },
      '([deleted_at] IS NULL)',
    );
    assert.equal(wanted, definition);
    assert.notEqual(
      wantedDefinitionText(
        { name: 'ix', table: 'orders', unique: false, columns: [{ kind: 'column', name: 'a' }] },
        null,
      ),
      definition,
    );
  });

  test('the filter probe asks the server how it spells a predicate', () => {
    assert.equal(
      filterProbeSql(spec({ where: 'deleted_at IS NULL' }), table),
      [
        "IF OBJECT_ID(N'tempdb..#dbfleet_index_probe') IS NOT NULL DROP TABLE #dbfleet_index_probe;",
        "SELECT TOP (0) * INTO #dbfleet_index_probe FROM [o'brien].[a]]b];",
        'CREATE INDEX [dbfleet_probe] ON #dbfleet_index_probe ([tenant_id], [created\nat] DESC) WHERE (deleted_at IS NULL);',
        "SELECT filter_definition FROM tempdb.sys.indexes WHERE object_id = OBJECT_ID(N'tempdb..#dbfleet_index_probe') AND name = N'dbfleet_probe';",
        "IF OBJECT_ID(N'tempdb..#dbfleet_index_probe') IS NOT NULL DROP TABLE #dbfleet_index_probe;",
      ].join('\n'),
    );
    assert.throws(() => filterProbeSql(spec(), table), /only a filtered index/);
    assert.equal(looseFilter('([Deleted_At] IS NULL)'), looseFilter('deleted_at is null'));
    assert.notEqual(looseFilter('([a]=(1))'), looseFilter('a = 2'));
  });
});

describe('cleanup and statistics', () => {
  test('DELETE TOP: the plain batched delete, under the lock-escalation threshold by default', () => {
    assert.equal(
      deleteTopSql(table, "status = 'done'"),
      "DELETE TOP (4000) FROM [o'brien].[a]]b] WHERE (status = 'done');\nSELECT @@ROWCOUNT AS deleted_rows;",
    );
    assert.equal(
      deleteTopSql({ name: 't' }, 'x = 1', 500),
      'DELETE TOP (500) FROM [t] WHERE (x = 1);\nSELECT @@ROWCOUNT AS deleted_rows;',
    );
    assert.throws(() => deleteTopSql({ name: 't' }, 'x = 1', 0), /at least 1/);
    assert.throws(() => deleteTopSql({ name: 't' }, 'x = 1', 2.5), /non-negative integer/);
  });

  test('count: a ? in a name is escaped for knex, the author’s ? stays a parameter', () => {
    assert.equal(
      countMatchingSql({ schema: 'dbo', name: 'what?' }, 'x < ?'),
      'SELECT COUNT_BIG(*) AS n FROM [dbo].[what\\?] WHERE (x < ?);',
    );
  });

  test('key column types: query, reading, declarations', () => {
    assert.equal(
      keyColumnTypesSql(table, ['id', "o'b"]),
      [
        'SELECT c.name AS column_name, ty.name AS type_name, c.max_length, c.precision, c.scale, c.collation_name',
        'FROM sys.columns AS c',
        'JOIN sys.types AS ty ON ty.user_type_id = CASE WHEN c.system_type_id = 240 THEN c.user_type_id ELSE c.system_type_id END',
        "WHERE c.object_id = OBJECT_ID(N'[o''brien].[a]]b]') AND c.name IN (N'id', N'o''b');",
      ].join('\n'),
    );
    const types = readKeyColumnTypes(
      [
        {
          column_name: 'b',
          type_name: 'NVARCHAR',
          max_length: 100,
          precision: 0,
          scale: 0,
          collation_name: 'Latin1_General_CI_AS',
        },
        { column_name: 'a', type_name: 'int', max_length: 4, precision: 10, scale: 0, collation_name: null },
      ],
      ['a', 'b'],
    );
    assert.deepEqual(types.map(columnTypeSql), ['int', 'nvarchar(50) COLLATE Latin1_General_CI_AS']);
    assert.throws(() => readKeyColumnTypes([], ['a']), /key column a does not exist/);
    const t = (type: string, maxLength = 0, precision = 0, scale = 0): KeyColumnType => ({
      name: 'k',
      type,
      maxLength,
      precision,
      scale,
      collation: null,
    });
    assert.deepEqual(
      [
        t('varchar', -1),
        t('varbinary', 16),
        t('decimal', 9, 18, 4),
        t('datetime2', 8, 27, 7),
        t('uniqueidentifier', 16),
      ].map(columnTypeSql),
      ['varchar(max)', 'varbinary(16)', 'decimal(18, 4)', 'datetime2(7)', 'uniqueidentifier'],
    );
    assert.throws(() => columnTypeSql({ ...t('nchar', 2), collation: 'x; drop' }), /unexpected collation/);
  });

  const intKey: KeyColumnType = {
    name: 'id',
    type: 'bigint',
    maxLength: 8,
    precision: 19,
    scale: 0,
    collation: null,
  };
  const atKey: KeyColumnType = {
    name: 'at',
    type: 'datetime',
    maxLength: 8,
    precision: 23,
    scale: 3,
    collation: null,
  };

  test('keyset delete: first batch', () => {
    const { sql, bindings } = keysetDeleteSql({
      table: { schema: 'dbo', name: 'ev?ents' },
      key: [intKey],
      where: 'created < ?',
      whereBindings: ['2020-01-01'],
      limit: 1000,
    });
    assert.equal(
      sql,
      [
        'DECLARE @dbfleet_deleted TABLE ([k0] bigint);',
        'WITH batch AS (',
        '  SELECT TOP (1000) * FROM [dbo].[ev\\?ents]',
        '  WHERE (created < ?)',
        '  ORDER BY [id]',
        ')',
        'DELETE FROM batch OUTPUT deleted.[id] INTO @dbfleet_deleted ([k0]);',
        'SELECT (SELECT COUNT(*) FROM @dbfleet_deleted) AS deleted, l.* FROM (SELECT 1 AS one) AS o',
        'LEFT JOIN (SELECT TOP (1) CONVERT(nvarchar(4000), [k0]) AS [k0]',
        '  FROM @dbfleet_deleted ORDER BY [k0] DESC) AS l ON 1 = 1;',
      ].join('\n'),
    );
    assert.deepEqual(bindings, ['2020-01-01']);
  });

  test('keyset delete: a composite cursor, converted back exactly, bindings in placeholder order', () => {
    const { sql, bindings } = keysetDeleteSql({
      table: { schema: 'dbo', name: 'events' },
      key: [intKey, atKey],
      where: 'kind = ?',
      whereBindings: ['tmp'],
      after: ['42', '2024-01-02T03:04:05.007'],
      limit: 10,
    });
    assert.equal(
      sql.split('\n')[3],
      '  WHERE (kind = ?) AND ([id] >= CONVERT(bigint, ?) AND (([id] > CONVERT(bigint, ?)) OR ([id] = CONVERT(bigint, ?) AND [at] > CONVERT(datetime, ?, 126))))',
    );
    assert.match(sql, /CONVERT\(nvarchar\(4000\), \[k1\], 126\) AS \[k1\]/);
    assert.match(sql, /ORDER BY \[k0\] DESC, \[k1\] DESC/);
    assert.equal((sql.match(/(?<!\\)\?/g) ?? []).length, bindings.length);
    assert.deepEqual(bindings, ['tmp', '42', '42', '42', '2024-01-02T03:04:05.007']);
  });

  test('keyset delete: a table without a key, or a cursor of the wrong size, is refused', () => {
    assert.throws(
      () => keysetDeleteSql({ table: { name: 't' }, key: [], where: '1 = 1', whereBindings: [], limit: 1 }),
      /no primary key/,
    );
    assert.throws(
      () =>
        keysetDeleteSql({
          table: { name: 't' },
          key: [intKey],
          where: '1 = 1',
          whereBindings: [],
          after: [1, 2],
          limit: 1,
        }),
      /cursor does not match/,
    );
  });

  test('UPDATE STATISTICS, and the candidates with their modification state', () => {
    assert.equal(updateStatisticsSql(table), "UPDATE STATISTICS [o'brien].[a]]b];");
    assert.equal(
      updateStatisticsSql({ schema: 'dbo', name: 't' }, { fullScan: true }),
      'UPDATE STATISTICS [dbo].[t] WITH FULLSCAN;',
    );
    const modified = (condition: string) =>
      `SELECT 1 FROM sys.stats AS st CROSS APPLY sys.dm_db_stats_properties(st.object_id, st.stats_id) AS sp WHERE st.object_id = t.object_id AND ${condition}`;
    const expected = (filter: string) =>
      [
        'SELECT s.name AS schema_name, t.name AS table_name,',
        `  CASE WHEN EXISTS (${modified('sp.modification_counter > 0')})`,
        `    OR NOT EXISTS (${modified('sp.last_updated IS NOT NULL')}) THEN 1 ELSE 0 END AS modified`,
        'FROM sys.tables AS t',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        `WHERE t.is_ms_shipped = 0${filter}`,
        'ORDER BY s.name, t.name;',
      ].join('\n');
    assert.equal(statisticsCandidatesSql({}), expected(''));
    assert.equal(statisticsCandidatesSql({ schema: "o'b" }), expected(" AND s.name = N'o''b'"));
    assert.equal(
      statisticsCandidatesSql({ schema: 's', tables: ['a]b', "o'b"] }),
      expected(" AND t.object_id IN (OBJECT_ID(N'[s].[a]]b]'), OBJECT_ID(N'[s].[o''b]'))"),
    );
    assert.equal(
      statisticsCandidatesSql({ tables: ['t'] }),
      expected(" AND t.object_id IN (OBJECT_ID(N'[t]'))"),
    );
  });
});
