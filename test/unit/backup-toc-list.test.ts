// `pg_restore --list` prints names unquoted, newlines turned into spaces: the light verification compares
// the fingerprint's tables by those rules (a false BACKUP_INCOMPLETE before).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tablesMissingFromToc, tocPrintedName } from '../../src/dialect/postgres/toc-list.js';

// Lines as pg_restore 15 printed them for these objects (see test/integration/identifiers-postgres).
const LIST = [
  ';',
  '; Archive created at 2026-12-04 15:36:01 UTC',
  ';     dbname: t',
  '215; 1259 33767 TABLE DATA x postgres', // table x of a schema named DATA
  '216; 1259 33770 TABLE public p postgres',
  '217; 1259 33773 TABLE public p1 postgres',
  '218; 1259 28487 TABLE public a b app user', // table "a b" owned by role "app user"
  '219; 1259 28481 TABLE ten ant or ders postgres', // "ten\nant"."or\nders"
  '220; 1259 28490 TABLE public a.b postgres',
  '3209; 0 0 TABLE ATTACH public p1 postgres',
  '3352; 0 33767 TABLE DATA DATA x postgres',
  '3353; 0 33773 TABLE DATA public gone postgres', // data entries never stand for the table itself
  '',
].join('\n');

describe('pg_restore --list against the fingerprint', () => {
  it('prints names the way pg_restore does', () => {
    assert.equal(tocPrintedName('ta\r\nb'), 'ta  b');
  });

  it('finds tables with newlines, spaces, dots, owners with spaces and a schema named DATA', () => {
    const keys = ['DATA.x', 'public.p', 'public.p1', 'public.a b', 'ten\nant.or\nders', 'public.a.b'];
    assert.deepEqual(tablesMissingFromToc(LIST, keys), []);
  });

  it('reports what is missing, and never counts a TABLE DATA or ATTACH line as the table', () => {
    // `public a b app user` is table "a b" (also a table of the fingerprint), not table "a" owned by
    // "b app user": the longest name wins. (Dump and fingerprint share one snapshot, so every table the
    // archive lists is a key.)
    const keys = ['public.gone', 'public.a', 'public.a b', 'public.p1', 'other.x'];
    assert.deepEqual(tablesMissingFromToc(LIST, keys), ['public.gone', 'public.a', 'other.x']);
  });

  it('two tables printed alike need two entries', () => {
    const list = '1; 1259 1 TABLE public a b postgres\n';
    assert.deepEqual(tablesMissingFromToc(list, ['public.a\nb', 'public.a b']).length, 1);
  });
});
