// Child process for test/integration/fleet-memory.test.ts (run with --expose-gc): runs a fleet of N
// tenants whose task does nothing but yield, and prints the live heap (after a full GC) at the moment the
// middle tenant runs — what the run itself keeps per tenant while it is under way.
import { setImmediate as tick } from 'node:timers/promises';
import { runFleet } from '../../src/fleet/run-fleet.js';
import { validateInventory } from '../../src/index.js';

const n = Number(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const tenants = validateInventory(
  Array.from({ length: n }, (_, i) => ({
    id: `t${String(i).padStart(6, '0')}`,
    dialect: 'sqlite',
    connection: `/nonexistent/fleet/t${String(i).padStart(6, '0')}.sqlite`,
  })),
  'memory inventory',
);
let liveAtMiddle = 0;
let started = 0;
const report = await runFleet(
  {
    command: 'memory',
    tenants,
    concurrency: 8,
    perHost: 4,
    sessionOptions: { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 } } as never,
  },
  async () => {
    if (++started === Math.floor(n / 2)) {
      gc();
      liveAtMiddle = process.memoryUsage().heapUsed;
    }
    await tick();
    return { details: {} };
  },
);
if (report.summary.succeeded !== n) throw new Error(`only ${report.summary.succeeded} of ${n} succeeded`);
process.stdout.write(`${JSON.stringify({ n, liveAtMiddle })}\n`);
