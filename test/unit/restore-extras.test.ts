import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LiveObject, objectsMissingFromToc } from '../../src/dialect/postgres/restore-extras.js';
import { archivedLargeObjects } from '../../src/dialect/postgres/restore-large-objects.js';
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

const obj = (desc: string, schema: string, name: string): LiveObject => ({
  desc,
  schema,
  name,
  key: `${desc} ${schema}.${name}`,
  drop: '',
  order: 0,
  classid: '0',
  objid: '0',
});

test('an object is in the archive when the listing has its tag; a renamed one is not, whatever its id', () => {
  const live = [
    obj('TABLE', 'public', 't'),
    obj('TYPE', 'public', 'mood'),
    obj('TYPE', 'public', 'renamed_mood'), // renamed since the backup: pg_restore recreates `mood` beside it
    obj('TYPE', 'public', 'plan'),
    obj('FUNCTION', 'public', 'f(integer, public.mood)'),
    obj('FUNCTION', 'public', 'f(integer)'), // an overload the archive lacks
    obj('TABLE', 'other', 'we ird.name'),
    obj('TABLE', 'other', 'we'), // a prefix of another entry's name is not that entry
    obj('VIEW', 'public', 't'), // the same name as another kind of object is another object
    obj('SCHEMA', '-', 'other'),
    obj('SCHEMA', '-', 'billing'),
    obj('EXTENSION', '-', 'citext'),
    obj('EXTENSION', '-', 'pgcrypto'),
  ];
  assert.deepEqual(
    objectsMissingFromToc(LIST, live).map((o) => `${o.desc} ${o.name}`),
    [
      'TYPE renamed_mood',
      'TYPE plan',
      'FUNCTION f(integer)',
      'TABLE we',
      'VIEW t',
      'SCHEMA billing',
      'EXTENSION pgcrypto',
    ],
  );
});

test("a schema tenant's own SCHEMA entry is commented out of the use-list, nothing else", () => {
  const out = listWithoutSchemaEntry(LIST, 'other').split('\n');
  assert.equal(out.filter((l) => l.startsWith(';7; 2615')).length, 1);
  assert.equal(out.filter((l) => l.startsWith(';') && !l.startsWith('; ') && l !== ';').length, 1);
  assert.deepEqual(listWithoutSchemaEntry(LIST, 'oth'), LIST, 'a prefix of the name is another schema');
  assert.deepEqual(listWithoutSchemaEntry(LIST, 'public'), LIST);
});

test('large objects: the archived oids from a per-object listing; none from a grouped (pg_dump 17) one', () => {
  const perObject = `${LIST}4036; 2613 20801 BLOB - 20801 postgres\n4037; 2613 20802 BLOB - 20802 app\n4038; 0 0 BLOBS - BLOBS \n`;
  assert.deepEqual(archivedLargeObjects(perObject), ['20801', '20802']);
  assert.deepEqual(archivedLargeObjects(LIST), []);
  assert.equal(archivedLargeObjects(`${LIST}4036; 2613 20801 BLOB METADATA - 20801..20809 postgres\n`), null);
});
