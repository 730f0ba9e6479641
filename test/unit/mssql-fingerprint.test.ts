import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assembleFingerprint, type CatalogRows } from '../../src/dialect/mssql/fingerprint.js';
import {
  approximateRowCountsSql,
  columnsSql,
  constraintsSql,
  contentHashSql,
  exactRowCountsSql,
  indexesSql,
  objectsSql,
  tablesSql,
} from '../../src/dialect/mssql/sql/fingerprint.js';

const scratch = { database: 'dbfleet_verify_a]b_1', schema: "o'brien" };

describe('fingerprint SQL', () => {
  test('tables, scoped to another database and a schema', () => {
    assert.equal(
      tablesSql(scratch),
      [
        'SELECT s.name AS schema_name, t.name AS table_name, t.temporal_type, t.is_memory_optimized',
        'FROM [dbfleet_verify_a]]b_1].sys.tables AS t JOIN [dbfleet_verify_a]]b_1].sys.schemas AS s ON s.schema_id = t.schema_id',
        "WHERE t.is_ms_shipped = 0 AND s.name = N'o''brien'",
        'ORDER BY s.name, t.name;',
      ].join('\n'),
    );
  });

  test('columns', () => {
    assert.equal(
      columnsSql({}),
      [
        'SELECT s.name AS schema_name, t.name AS table_name, c.column_id, c.name AS column_name, ty.name AS type_name,',
        '  c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity, c.collation_name,',
        '  cc.definition AS computed_definition, dc.definition AS default_definition',
        'FROM sys.columns AS c',
        'JOIN sys.tables AS t ON t.object_id = c.object_id',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        'JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id',
        'LEFT JOIN sys.computed_columns AS cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id',
        'LEFT JOIN sys.default_constraints AS dc ON dc.object_id = c.default_object_id',
        'WHERE t.is_ms_shipped = 0',
        'ORDER BY s.name, t.name, c.column_id;',
      ].join('\n'),
    );
  });

  test('indexes', () => {
    assert.equal(
      indexesSql({ schema: 'x;drop' }),
      [
        'SELECT s.name AS schema_name, t.name AS table_name, i.name AS index_name, i.type_desc, i.is_unique,',
        '  i.is_primary_key, i.is_unique_constraint, i.is_disabled, i.filter_definition,',
        '  c.name AS column_name, ic.key_ordinal, ic.is_descending_key, ic.is_included_column',
        'FROM sys.indexes AS i',
        'JOIN sys.tables AS t ON t.object_id = i.object_id',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        'LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id',
        'LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id',
        "WHERE i.type > 0 AND t.is_ms_shipped = 0 AND s.name = N'x;drop'",
        'ORDER BY s.name, t.name, i.name, ic.is_included_column, ic.key_ordinal, c.name;',
      ].join('\n'),
    );
  });

  test('check and foreign key constraints', () => {
    assert.equal(
      constraintsSql({ database: 'd' }),
      [
        "SELECT s.name AS schema_name, t.name AS table_name, cc.name AS constraint_name, N'CHECK' AS kind,",
        '  cc.definition, cc.is_disabled, NULL AS column_name, NULL AS referenced, NULL AS ordinal',
        'FROM [d].sys.check_constraints AS cc',
        'JOIN [d].sys.tables AS t ON t.object_id = cc.parent_object_id',
        'JOIN [d].sys.schemas AS s ON s.schema_id = t.schema_id',
        'WHERE t.is_ms_shipped = 0',
        'UNION ALL',
        "SELECT s.name, t.name, fk.name, N'FOREIGN KEY',",
        "  fk.delete_referential_action_desc + N' ' + fk.update_referential_action_desc, fk.is_disabled,",
        "  pc.name, rs.name + N'.' + rt.name + N'.' + rc.name, fkc.constraint_column_id",
        'FROM [d].sys.foreign_keys AS fk',
        'JOIN [d].sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id',
        'JOIN [d].sys.tables AS t ON t.object_id = fk.parent_object_id',
        'JOIN [d].sys.schemas AS s ON s.schema_id = t.schema_id',
        'JOIN [d].sys.columns AS pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id',
        'JOIN [d].sys.tables AS rt ON rt.object_id = fkc.referenced_object_id',
        'JOIN [d].sys.schemas AS rs ON rs.schema_id = rt.schema_id',
        'JOIN [d].sys.columns AS rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id',
        'WHERE t.is_ms_shipped = 0',
        'ORDER BY schema_name, table_name, constraint_name, ordinal;',
      ].join('\n'),
    );
  });

  test('modules and user-defined types', () => {
    assert.equal(
      objectsSql({ schema: 's' }),
      [
        "SELECT LOWER(REPLACE(o.type_desc, N'_', N' ')) + N' ' + s.name + N'.' + o.name AS object_key, m.definition",
        'FROM sys.sql_modules AS m',
        'JOIN sys.objects AS o ON o.object_id = m.object_id',
        'JOIN sys.schemas AS s ON s.schema_id = o.schema_id',
        "WHERE o.is_ms_shipped = 0 AND s.name = N's'",
        'UNION ALL',
        "SELECT N'type ' + s.name + N'.' + ty.name,",
        "  bt.name + N'(' + CAST(ty.max_length AS nvarchar(10)) + N',' + CAST(ty.precision AS nvarchar(10)) + N',' +",
        "  CAST(ty.scale AS nvarchar(10)) + N') ' + CASE WHEN ty.is_nullable = 1 THEN N'NULL' ELSE N'NOT NULL' END +",
        "  CASE WHEN ty.is_table_type = 1 THEN N' TABLE' ELSE N'' END",
        'FROM sys.types AS ty',
        'JOIN sys.schemas AS s ON s.schema_id = ty.schema_id',
        'LEFT JOIN sys.types AS bt ON bt.user_type_id = ty.system_type_id',
        "WHERE ty.is_user_defined = 1 AND s.name = N's'",
        'ORDER BY object_key;',
      ].join('\n'),
    );
  });

  test('row counts: exact (COUNT_BIG, grouped) and from the catalog (sys.partitions)', () => {
    assert.equal(
      exactRowCountsSql(scratch, [
        { schema: 'dbo', name: 'a]b' },
        { schema: "o'brien", name: 'new\nline' },
      ]),
      "SELECT 0 AS i, COUNT_BIG(*) AS n FROM [dbfleet_verify_a]]b_1].[dbo].[a]]b]\nUNION ALL\nSELECT 1 AS i, COUNT_BIG(*) AS n FROM [dbfleet_verify_a]]b_1].[o'brien].[new\nline];",
    );
    assert.throws(() => exactRowCountsSql({}, []), /no tables/);
    assert.equal(
      approximateRowCountsSql({ schema: 's' }),
      [
        'SELECT s.name AS schema_name, t.name AS table_name, SUM(p.rows) AS row_count',
        'FROM sys.partitions AS p',
        'JOIN sys.tables AS t ON t.object_id = p.object_id',
        'JOIN sys.schemas AS s ON s.schema_id = t.schema_id',
        "WHERE p.index_id IN (0, 1) AND t.is_ms_shipped = 0 AND s.name = N's'",
        'GROUP BY s.name, t.name',
        'ORDER BY s.name, t.name;',
      ].join('\n'),
    );
  });

  test('content hash: one pass, order-independent, sums returned as text', () => {
    assert.equal(
      contentHashSql({ database: 'd' }, { schema: 'dbo', name: 't' }),
      [
        'SELECT COUNT_BIG(*) AS n,',
        '  CAST(SUM(CAST(CAST(SUBSTRING(h, 1, 7) AS bigint) AS decimal(38, 0))) AS nvarchar(40)) AS a,',
        '  CAST(SUM(CAST(CAST(SUBSTRING(h, 8, 7) AS bigint) AS decimal(38, 0))) AS nvarchar(40)) AS b',
        "FROM (SELECT HASHBYTES('SHA2_256', (SELECT r.* FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES)) AS h",
        '  FROM [d].[dbo].[t] AS r) AS x;',
      ].join('\n'),
    );
  });
});

function catalog(): CatalogRows {
  const t = { schema_name: 'dbo', table_name: 'orders' };
  return {
    tables: [
      { ...t, temporal_type: 0, is_memory_optimized: false },
      { schema_name: 'dbo', table_name: 'notes', temporal_type: 0, is_memory_optimized: false },
    ],
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
        max_length: 200,
        precision: 0,
        scale: 0,
        is_nullable: true,
        is_identity: false,
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
    ],
    constraints: [
      { ...t, constraint_name: 'ck', kind: 'CHECK', definition: '([id]>(0))', is_disabled: false },
    ],
    objects: [{ object_key: 'view dbo.v', definition: 'create view dbo.v as select 1 as x' }],
  };
}

describe('fingerprint assembly', () => {
  test('the same catalog gives the same fingerprint, whichever way the driver spells booleans', () => {
    const a = assembleFingerprint('schema', catalog());
    const spelled = catalog();
    spelled.columns = spelled.columns.map((c) => ({
      ...c,
      is_nullable: c.is_nullable ? 1 : 0,
      is_identity: c.is_identity ? 1 : 0,
    }));
    assert.deepEqual(assembleFingerprint('schema', spelled), a);
    assert.deepEqual(Object.keys(a.tables), ['dbo.notes', 'dbo.orders']);
    assert.deepEqual(Object.keys(a.objects), ['view dbo.v']);
  });

  test('a changed column type, index, constraint or view changes the fingerprint', () => {
    const base = assembleFingerprint('schema', catalog());
    const mutations: ((c: CatalogRows) => void)[] = [
      (c) => {
        c.columns[1]!.max_length = 400;
      },
      (c) => {
        c.indexes[0]!.is_disabled = true;
      },
      (c) => {
        c.constraints[0]!.definition = '([id]>(1))';
      },
      (c) => {
        c.objects[0]!.definition = 'create view dbo.v as select 2 as x';
      },
    ];
    for (const mutate of mutations) {
      const changed = catalog();
      mutate(changed);
      assert.notEqual(assembleFingerprint('schema', changed).schemaHash, base.schemaHash);
    }
    // Another table's structure is not affected by a change to orders.
    const changed = catalog();
    changed.columns[1]!.max_length = 400;
    assert.equal(
      assembleFingerprint('schema', changed).tables['dbo.notes']?.schema,
      base.tables['dbo.notes']?.schema,
    );
  });

  test('counts and content appear only at the levels that read them', () => {
    const measured = new Map([['dbo.orders', { rows: 7, content: 'abc' }]]);
    assert.equal(assembleFingerprint('schema', catalog(), measured).tables['dbo.orders']?.rows, undefined);
    assert.deepEqual(assembleFingerprint('counts', catalog(), measured).tables['dbo.orders'], {
      schema: assembleFingerprint('schema', catalog()).tables['dbo.orders']?.schema,
      rows: 7,
    });
    assert.equal(assembleFingerprint('full', catalog(), measured).tables['dbo.orders']?.content, 'abc');
  });
});
