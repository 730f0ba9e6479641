import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorText } from '../../src/dialect/postgres/pg-tools.js';

test('toolErrorText keeps the error of a failed statement, not the statement pg_restore quotes after it', () => {
  const stderr = [
    'pg_restore: error: could not execute query: ERROR:  type "public.mood" does not exist',
    'LINE 3:     m public.mood,',
    '              ^',
    'Command was: CREATE TABLE ta.orders (',
    '    id integer NOT NULL,',
    '    m public.mood,',
    '    q public.pos,',
    '    code text DEFAULT public.next_code(),',
    '    email public.citext',
    ');',
    '',
  ].join('\n');
  const text = toolErrorText({ code: 1, signal: null, stdout: '', stderr });
  assert.match(
    text,
    /^exit code 1: pg_restore: error: could not execute query: ERROR: {2}type "public\.mood" does not exist/,
  );
  assert.match(text, /Command was: CREATE TABLE ta\.orders \($/);
});

test("toolErrorText keeps pg_dump's cause whole, and its catalog query short", () => {
  const query = `SELECT t.tableoid, t.oid, i.indrelid, ${'x, '.repeat(500)}y FROM pg_catalog.pg_index i`;
  const stderr = [
    'pg_dump: error: query failed: server closed the connection unexpectedly',
    '\tThis probably means the server terminated abnormally',
    '\tbefore or while processing the request.',
    `pg_dump: detail: Query was: ${query}`,
    '',
  ].join('\n');
  const text = toolErrorText({ code: 1, signal: null, stdout: '', stderr });
  assert.match(
    text,
    /^exit code 1: pg_dump: error: query failed: server closed the connection unexpectedly \| /,
  );
  assert.match(text, /\| pg_dump: detail: Query was: SELECT t\.tableoid, t\.oid, i\.indrelid, x, .*…$/);
  assert.ok(text.length < 400, text);
});
