import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachedIndexesFirst } from '../../src/dialect/postgres/toc-partition-order.js';

// pg_dump's own order (PostgreSQL 15): the partitioned parent's key before its partitions' keys.
const LIST = `;
; Archive created at 2026-12-07 04:00:00 UTC
214; 1259 38916 TABLE public e postgres
215; 1259 38921 TABLE public e1 postgres
3204; 0 0 TABLE ATTACH public e1 postgres
3356; 0 38921 TABLE DATA public e1 postgres
3207; 2606 38920 CONSTRAINT public e e_pkey postgres
3209; 2606 38925 CONSTRAINT public e1 e1_pkey postgres
3210; 2606 38931 CONSTRAINT public plain plain_pkey postgres
3214; 1259 38940 INDEX public e_at_idx postgres
3215; 1259 38941 INDEX public e1_at_idx postgres
3212; 0 0 INDEX ATTACH public e1_pkey postgres
3213; 0 0 INDEX ATTACH public e1_at_idx postgres
3220; 2606 38950 FK CONSTRAINT public child child_e_fkey postgres
`;

const entries = (list: string) => list.split('\n').filter((l) => /^\d+;/.test(l));

test("a partition's attached key and index are listed before every other key and index", () => {
  const ordered = entries(attachedIndexesFirst(LIST)).map((l) => l.split(';')[0]);
  assert.deepEqual(ordered, [
    '214',
    '215',
    '3204',
    '3356',
    '3209', // e1_pkey: attached, so before e_pkey — pg_restore --clean drops in reverse
    '3215', // e1_at_idx
    '3207',
    '3210',
    '3214',
    '3212',
    '3213',
    '3220',
  ]);
});

test('a listing without partitioned indexes is left as it is', () => {
  const plain = LIST.split('\n')
    .filter((l) => !l.includes('ATTACH'))
    .join('\n');
  assert.equal(attachedIndexesFirst(plain), plain);
});

// pg_restore --list of a tenant with commented keys and indexes (PostgreSQL 15): each COMMENT just after
// its object. Permuting keys and indexes across their places once left a comment ahead of its index.
const COMMENTED = `;
3207; 2606 35462 CONSTRAINT public accounts accounts_pkey postgres
3361; 0 0 COMMENT public CONSTRAINT accounts_pkey ON accounts postgres
3205; 1259 35463 INDEX public accounts_email postgres
3362; 0 0 COMMENT public INDEX accounts_email postgres
3208; 1259 35470 INDEX public events_at postgres
3363; 0 0 COMMENT public INDEX events_at postgres
3209; 1259 35471 INDEX public events_2024_at_idx postgres
3364; 0 0 COMMENT public INDEX events_2024_at_idx postgres
3210; 0 0 INDEX ATTACH public events_2024_at_idx postgres
`;

test('only the attached indexes move: every comment stays after its key or index', () => {
  const ordered = entries(attachedIndexesFirst(COMMENTED)).map((l) => l.split(';')[0]);
  assert.deepEqual(ordered, ['3209', '3207', '3361', '3205', '3362', '3208', '3363', '3364', '3210']);
});
