import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matviewDataBeforeEventTriggers } from '../../src/dialect/postgres/toc-matview-order.js';

// pg_dump's own order (PostgreSQL 15): event triggers, their comments, then the views' data.
const LIST = `;
218; 1255 45257 FUNCTION public log_ddl() postgres
217; 1259 45262 MATERIALIZED VIEW public mv postgres
3354; 0 45259 TABLE DATA public t postgres
3206; 3466 45258 EVENT TRIGGER - log_ddl postgres
3364; 0 0 COMMENT - EVENT TRIGGER log_ddl postgres
3355; 0 45262 MATERIALIZED VIEW DATA public mv postgres
3356; 0 45263 MATERIALIZED VIEW DATA public mv2 postgres
`;

test("materialized views' data is listed before the first event trigger, in its own order", () => {
  const ids = matviewDataBeforeEventTriggers(LIST)
    .split('\n')
    .filter((l) => /^\d+;/.test(l))
    .map((l) => l.split(';')[0]);
  assert.deepEqual(ids, ['218', '217', '3354', '3355', '3356', '3206', '3364']);
});

test('a listing without event triggers, or without views after them, is left as it is', () => {
  const noTrigger = LIST.split('\n')
    .filter((l) => !l.includes('EVENT TRIGGER'))
    .join('\n');
  assert.equal(matviewDataBeforeEventTriggers(noTrigger), noTrigger);
  const noViews = LIST.split('\n')
    .filter((l) => !l.includes('VIEW DATA'))
    .join('\n');
  assert.equal(matviewDataBeforeEventTriggers(noViews), noViews);
});
