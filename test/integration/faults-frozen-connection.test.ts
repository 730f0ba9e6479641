// a tenant behind a connection that stops answering (a proxy that stops forwarding). It
// used to hang the run forever, whatever the statement timeout; now it fails CONNECTION_STALLED after
// its statement timeout plus a bounded grace, naming host and port, and the other tenants go on. A
// connect that stalls fails CONNECT_TIMEOUT with host, port and phase.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStallWatch } from '../../src/dialect/postgres/stall-watchdog.js';
import { type CliRun, jsonReport, startCli } from '../helpers/faults-cli.js';
import { type FrozenProxy, startFrozenProxy } from '../helpers/frozen-proxy.js';
import {
  createDatabases,
  dropDatabases,
  PG_ADMIN_URL,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('ffrozen');
const [frozenDb, directDb] = [`${prefix}_frozen`, `${prefix}_direct`];
const server = new URL(PG_ADMIN_URL);
const target = { host: server.hostname, port: Number(server.port || 5432) };

/** The run's result, or a failure (and the child killed) if it has not ended after `ms`. */
async function endsWithin(run: CliRun, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`the run had not ended after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([run.done, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a connection that stops answering', () => {
  let dir: string;
  let proxy: FrozenProxy | undefined;

  before(async () => {
    await createDatabases([frozenDb, directDb]);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-ffrozen-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations', '001_slow.sql'), 'create table t (v int);\nselect pg_sleep(1);\n');
  });

  after(async () => {
    await proxy?.close();
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const inventory = (proxyPort: number) => {
    const file = join(dir, `tenants-${proxyPort}.json`);
    const via = new URL(pgUrl(frozenDb));
    via.port = String(proxyPort);
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'frozen', dialect: 'postgres', connection: via.toString() },
        { id: 'direct', dialect: 'postgres', connection: pgUrl(directDb) },
      ]),
    );
    return file;
  };
  const migrate = (tenants: string, journal: string) =>
    startCli(
      [
        'migrate',
        '--tenants',
        tenants,
        '--migrations',
        join(dir, 'migrations'),
        '--journal',
        join(dir, journal),
        '--statement-timeout',
        '3s',
        '--json',
      ],
      dir,
    );

  it('mid-statement: that tenant fails CONNECTION_STALLED, the other succeeds, the run ends', {
    timeout: 180_000,
  }, async () => {
    proxy = await startFrozenProxy(target);
    const run = migrate(inventory(proxy.port), 'mid.db');
    await waitFor(
      'the tenant behind the proxy to run its migration',
      async () => {
        const rows = await queryDatabase(
          frozenDb,
          "select 1 from pg_stat_activity where datname = current_database() and application_name = 'dbfleet' and query like '%pg_sleep(1)%'",
        );
        return rows.length > 0 ? true : undefined;
      },
      60_000,
    );
    proxy.freeze();
    // 3 s statement timeout + 5 s grace, then the stall is noticed; far less than this deadline.
    const result = await endsWithin(run, 90_000);
    const report = jsonReport(result);
    const frozen = report.tenants.find((t) => t.id === 'frozen')!;
    const direct = report.tenants.find((t) => t.id === 'direct')!;
    assert.equal(direct.status, 'succeeded', JSON.stringify(direct));
    assert.equal(frozen.status, 'failed');
    assert.equal(frozen.error?.code, 'CONNECTION_STALLED', JSON.stringify(frozen));
    assert.match(frozen.error!.message, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
    assert.equal(result.code, 1);
    await proxy.close();
    proxy = undefined;
  });

  it('at connect: CONNECT_TIMEOUT naming host, port and phase', { timeout: 180_000 }, async () => {
    proxy = await startFrozenProxy(target);
    proxy.freeze();
    const result = await endsWithin(migrate(inventory(proxy.port), 'connect.db'), 90_000);
    const frozen = jsonReport(result).tenants.find((t) => t.id === 'frozen')!;
    assert.equal(frozen.status, 'failed');
    assert.equal(frozen.error?.code, 'CONNECT_TIMEOUT', JSON.stringify(frozen));
    assert.match(frozen.error!.message, new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
    assert.match(frozen.error!.message, /accepted the TCP connection but never answered/);
    await proxy.close();
    proxy = undefined;
  });

  // The session reads back its start-up settings (current_setting('statement_timeout')) before it locks
  // a tenant; the watch took that mention for someone else's SET and stopped watching the connection,
  // so a stalled migration hung the run again.
  it('reading statement_timeout keeps the watch on; setting it turns it off', async () => {
    const watched = async (sql: string) => {
      const watch = createStallWatch({ ...target, graceMs: () => 200 });
      watch.setStatementTimeout(300);
      proxy = await startFrozenProxy(target);
      const via = new URL(pgUrl(directDb));
      via.port = String(proxy.port);
      const client = new pg.Client({ connectionString: via.toString(), stream: () => watch.stream() });
      client.on('error', () => {}); // the watch (or the proxy's close) ends the socket under it
      await client.connect();
      watch.attach(client);
      await client.query(sql);
      proxy.freeze();
      const outcome = await Promise.race([
        client.query('select pg_sleep(0.1)').then(
          () => 'answered',
          (err: Error & { code?: string }) => err.code ?? err.message,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
      ]);
      await proxy.close();
      proxy = undefined;
      await client.end().catch(() => {});
      return outcome;
    };
    assert.equal(
      await watched("select pg_catalog.current_setting('statement_timeout')"),
      'CONNECTION_STALLED',
    );
    assert.equal(await watched("select set_config('statement_timeout', '0', false)"), 'still waiting');
  });

  it('a long script of short statements is not a stall: each answer counts as the server alive', async () => {
    const watch = createStallWatch({ ...target, graceMs: () => 200 });
    watch.setStatementTimeout(300);
    const client = new pg.Client({ connectionString: pgUrl(directDb), stream: () => watch.stream() });
    await client.connect();
    watch.attach(client);
    try {
      // 0.8 s in all, each statement well inside the 0.3 s + 0.2 s the watch allows one silence.
      await client.query(
        'select pg_sleep(0.2); select pg_sleep(0.2); select pg_sleep(0.2); select pg_sleep(0.2)',
      );
    } finally {
      await client.end();
    }
  });
});
