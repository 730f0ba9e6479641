// Another process's deep verification, held while its scratch database exists: creates the tenant's
// scratch database as a verify does (its lock taken on the tenant's connection), prints the name, and
// drops it when stdin ends. Argument: JSON Tenant. How a test has a live scratch that this process's own
// bookkeeping knows nothing about.
import type { Tenant } from '../../src/core/tenant.js';
import type { BackupContext } from '../../src/dialect/backup-types.js';
import { createPostgresScratch } from '../../src/dialect/postgres/scratch.js';
import { openPostgresSession } from '../../src/dialect/postgres/session.js';

const tenant = JSON.parse(process.argv[2] ?? '{}') as Tenant;
const sessionOptions = { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 } };
const session = openPostgresSession(tenant, sessionOptions);
const ctx: BackupContext = {
  tenant,
  session: () => session,
  releaseSession: async () => {},
  secondConnection: (fn) => fn(),
  sessionOptions,
  signal: new AbortController().signal,
  tools: {},
  workDir: process.cwd(),
};
const scratch = await createPostgresScratch(ctx);
process.stdout.write(`${scratch.name}\n`);
process.stdin.resume();
await new Promise((resolve) => process.stdin.on('end', resolve));
await scratch.drop();
await (await session).close();
