// Issue 18's memory property at CI size: what a run keeps alive per tenant while it is under way does
// not include the tenants still waiting. It used to: every tenant was handed to the scheduler at the
// start, a pending promise, a queue node and closures each (~1.6 KB a tenant, measured), and V8 sizes
// its old generation from that live set — a 10,000-tenant status peaked at 195 MiB against 126 MiB at
// 1,000. Measured in child processes (--expose-gc) at 500 and 5,000 tenants whose task only yields; the
// bench (`--only scale`) measures the peak RSS itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli-child.js';

function liveHeapAtMiddle(n: number): number {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/helpers/fleet-live-heap.ts', String(n)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return (JSON.parse(out.trim()) as { liveAtMiddle: number }).liveAtMiddle;
}

test('a run keeps under 1 KB alive per tenant mid-run (the waiting tenants are not scheduled yet)', () => {
  const small = liveHeapAtMiddle(500);
  const large = liveHeapAtMiddle(5000);
  const perTenant = (large - small) / 4500;
  // ~640 bytes now (the tenant, the results so far, the report's order); 1,590 when all were scheduled.
  assert.ok(perTenant < 1024, `${Math.round(perTenant)} bytes per tenant kept alive mid-run`);
});
