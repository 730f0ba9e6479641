import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectEntries } from '../../src/dialect/postgres/scratch-shared.js';

test('selectEntries keeps the listing lines of the wanted objects only, in order', () => {
  const list = [
    ';',
    '; Selected TOC Entries:',
    '5; 2615 2200 SCHEMA - public pg_database_owner',
    '3450; 0 0 COMMENT - SCHEMA public pg_database_owner',
    '2; 3079 16901 EXTENSION - citext ',
    '890; 1247 17007 TYPE public mood postgres',
    '217; 1259 17016 TABLE public unrelated postgres',
    '3443; 0 17016 TABLE DATA public unrelated postgres',
    '264; 1255 17014 FUNCTION public next_code() postgres',
  ].join('\n');
  assert.equal(
    selectEntries(list, new Set(['3079:16901', '1247:17007', '1255:17014'])),
    [
      '2; 3079 16901 EXTENSION - citext ',
      '890; 1247 17007 TYPE public mood postgres',
      '264; 1255 17014 FUNCTION public next_code() postgres',
      '',
    ].join('\n'),
  );
});
