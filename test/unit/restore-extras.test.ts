import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LiveObject, objectsMissingFromToc } from '../../src/dialect/postgres/restore-extras.js';
import { listWithoutSchemaEntry } from '../../src/dialect/postgres/toc-list.js';

const LIST = `;
; Archive created at 2026-12-07 04:00:00 UTC
7; 2615 16424 SCHEMA - other postgres
2; 3079 16428 EXTENSION - citext 
892; 1247 16389 TYPE public mood postgres
223; 1255 16417 FUNCTION public f(integer, public.mood) postgres
221; 1259 16425 TABLE other we ird.name postgres
218; 1259 16410 TABLE public t postgres
3470; 0 16410 TABLE DATA public t postgres
`;

const obj = (desc: string, schema: string, name: string, catalog: string, oid: string): LiveObject => ({
  desc,
  schema,
  name,
  catalog,
  oid,
  key: `${desc} ${schema}.${name}`,
  drop: '',
  order: 0,
});

test('an object is in the archive by its catalog id, or by its tag when it was made again', () => {
  const live = [
    obj('TABLE', 'public', 't', 'pg_class', '99999'), // recreated under the same name: tag matches
    obj('TYPE', 'public', 'mood', 'pg_type', '16389'),
    obj('TYPE', 'public', 'renamed_mood', 'pg_type', '16389'), // renamed since: same id, still the archive's
    obj('TYPE', 'public', 'plan', 'pg_type', '20001'),
    obj('FUNCTION', 'public', 'f(integer, public.mood)', 'pg_proc', '30000'),
    obj('FUNCTION', 'public', 'f(integer)', 'pg_proc', '30001'), // an overload the archive lacks
    obj('TABLE', 'other', 'we ird.name', 'pg_class', '1'),
    obj('TABLE', 'other', 'we', 'pg_class', '2'), // a prefix of another entry's name is not that entry
    obj('SCHEMA', '-', 'other', 'pg_namespace', '5'),
    obj('SCHEMA', '-', 'billing', 'pg_namespace', '6'),
    obj('EXTENSION', '-', 'citext', 'pg_extension', '7'),
    obj('EXTENSION', '-', 'pgcrypto', 'pg_extension', '8'),
    // The same oid in another catalog is another object.
    obj('FUNCTION', 'public', 'g()', 'pg_proc', '16410'),
  ];
  assert.deepEqual(
    objectsMissingFromToc(LIST, live).map((o) => `${o.desc} ${o.name}`),
    ['TYPE plan', 'FUNCTION f(integer)', 'TABLE we', 'SCHEMA billing', 'EXTENSION pgcrypto', 'FUNCTION g()'],
  );
});

test("a schema tenant's own SCHEMA entry is commented out of the use-list, nothing else", () => {
  const out = listWithoutSchemaEntry(LIST, 'other').split('\n');
  assert.equal(out.filter((l) => l.startsWith(';7; 2615')).length, 1);
  assert.equal(out.filter((l) => l.startsWith(';') && !l.startsWith('; ') && l !== ';').length, 1);
  assert.deepEqual(listWithoutSchemaEntry(LIST, 'oth'), LIST, 'a prefix of the name is another schema');
  assert.deepEqual(listWithoutSchemaEntry(LIST, 'public'), LIST);
});
