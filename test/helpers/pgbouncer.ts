import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PG_ADMIN_URL } from './postgres.js';

/** A real PgBouncer in front of the test server, started for one test file (Debian's `pgbouncer`). */
export interface Bouncer {
  port: number;
  stop(): Promise<void>;
}

export function pgbouncerInstalled(): boolean {
  return spawnSync('pgbouncer', ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Transaction pooling, as PgBouncer usually runs in front of an application's databases. `ignoreOptions`:
 * `ignore_startup_parameters` includes `options` (accepted and dropped); else PgBouncer refuses it.
 * PgBouncer will not run as root: it is started as `postgres` then.
 */
export async function startPgbouncer(opts: { ignoreOptions: boolean }): Promise<Bouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ignored = ['extra_float_digits', ...(opts.ignoreOptions ? ['options'] : [])].join(',');
  const ini = join(dir, 'pgbouncer.ini');
  const server = new URL(PG_ADMIN_URL);
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    `[databases]
* = host=${server.hostname} port=${server.port || 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'users.txt')}
pool_mode = transaction
ignore_startup_parameters = ${ignored}
`,
  );
  for (const f of ['users.txt', 'pgbouncer.ini']) chmodSync(join(dir, f), 0o644);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = asRoot
    ? spawn('runuser', ['-u', 'postgres', '--', 'pgbouncer', ini], { stdio: 'ignore' })
    : spawn('pgbouncer', [ini], { stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGTERM');
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it answers a query (a database the pooler passes through to the server).
  for (let i = 0; i < 50; i++) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return { port, stop };
    } catch {
      await client.end().catch(() => {});
      await sleep(100);
    }
  }
  await stop();
  throw new Error(`pgbouncer did not start on port ${port}`);
}
