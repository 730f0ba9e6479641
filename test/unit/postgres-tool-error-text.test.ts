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
