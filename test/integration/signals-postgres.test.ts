// SIGTERM (a service manager, a CI timeout, `kill`) is an interruption like Ctrl-C: in-flight tenants
// stop at a safe point, the journal says `interrupted`, password files are removed, exit 1. After a
// SIGKILL, which nothing can handle, the next dbfleet removes the dead process's password directory at
// once and marks its run `interrupted`. The password is never on a command line or in the environment.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ROOT, runCli, startCli } from '../helpers/cli-child.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { findPgDump } from '../helpers/processes.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const SLOW = join(ROOT, 'test/fixtures/migrations-slow');
const PASSWORD = 'Signals-Pw-5521';
const linuxOnly = { skip: process.platform !== 'linux' && 'Linux only (/proc)' };

const withPassword = (database: string) => {
  const url = new URL(pgUrl(database));
  url.password = PASSWORD;
  return url.toString();
};

function journalRuns(file: string): { run_id: string; command: string; status: string }[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select run_id, command, status from dbfleet_runs order by started_at').all() as never;
  } catch {
    return []; // the tables are not there yet
  } finally {
    db.close();
  }
}

function appliedSoFar(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from dbfleet_run_migrations').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

const passDirsOf = (tmp: string, pid: number) =>
  readdirSync(tmp).filter((name) => name.startsWith(`dbfleet-pass-${pid}-`));

describe('signals', () => {
  const prefix = uniquePrefix('sig');
  const slowOnes = Array.from({ length: 6 }, (_, i) => `${prefix}_m${i}`);
  const dumped = `${prefix}_dump`;
  let dir: string;
  /** TMPDIR of the CLI children: their password directories land here, apart from everyone else's. */
  let tmp: string;
  let inventory: string;

  before(async () => {
    await createDatabases([...slowOnes, dumped]);
    const c = new pg.Client({ connectionString: pgUrl(dumped) });
    await c.connect();
    await c.query(
      "create table customers (id serial primary key, name text); insert into customers (name) select 'c' || i from generate_series(1, 100) i",
    );
    await c.end();
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-sig-'));
    tmp = join(dir, 'tmp');
    mkdirSync(tmp, { mode: 0o700 });
    inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(
        [...slowOnes, dumped].map((n) => ({ id: n, dialect: 'postgres', connection: withPassword(n) })),
      ),
    );
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM during migrate: in-flight tenants finish their migration, the rest are not started, the run is journaled interrupted, exit 1', async () => {
    const journal = join(dir, 'migrate.db');
    const selection = slowOnes.flatMap((n) => ['--tenant', n]);
    const { child, done } = startCli(
      [
        'migrate',
        '--tenants',
        inventory,
        ...selection,
        '--migrations',
        SLOW,
        '--concurrency',
        '2',
        '--journal',
        journal,
      ],
      { cwd: dir, env: { TMPDIR: tmp } },
    );
    // Interrupt once the run is really under way, however slow start-up is.
    await waitUntil('a migration to be applied', () => appliedSoFar(journal) >= 1, 60_000);
    child.kill('SIGTERM');
    const run = await done;
    assert.equal(run.signal, null, 'dbfleet handled SIGTERM instead of dying of it');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /\(interrupted\)/);
    assert.match(run.stdout, /NOT_STARTED/);
    const runs = journalRuns(journal);
    assert.equal(runs.at(-1)?.status, 'interrupted');
    // Whole migrations only: every tenant's tables match its history.
    for (const id of slowOnes) {
      const c = new pg.Client({ connectionString: pgUrl(id) });
      await c.connect();
      try {
        const history = await c
          .query('select count(*)::int as n from knex_migrations')
          .catch(() => ({ rows: [{ n: 0 }] }));
        const tables = await c.query(
          "select count(*)::int as n from information_schema.tables where table_name like 'slow_%'",
        );
        assert.equal(tables.rows[0].n, history.rows[0].n, id);
      } finally {
        await c.end();
      }
    }
  });

  /**
   * Starts `dbfleet backup` of the `dumped` tenant while a transaction holds a lock its pg_dump needs
   * (a sequence renamed in a transaction that is rolled back), and waits until that pg_dump waits.
   */
  async function backupHeldInPgDump(journal: string) {
    const lock = new pg.Client({ connectionString: pgUrl(dumped) });
    await lock.connect();
    await lock.query('begin; alter sequence public.customers_id_seq rename to customers_id_seq_held');
    const cli = startCli(
      [
        'backup',
        '--tenants',
        inventory,
        '--tenant',
        dumped,
        '--fingerprint',
        'schema',
        '--backup-dir',
        join(dir, 'backups'),
        '--journal',
        journal,
        '--json',
      ],
      { cwd: dir, env: { TMPDIR: tmp } },
    );
    const pgDump = await waitFor('pg_dump to start', () => findPgDump(dumped), 60_000);
    await waitFor('pg_dump to wait for the lock', async () => {
      const rows = await adminQuery(
        "select 1 from pg_stat_activity where datname = $1 and starts_with(application_name, 'dbfleet pg_dump') and wait_event_type = 'Lock'",
        [dumped],
      );
      return rows.length > 0 ? true : undefined;
    });
    const release = async () => {
      await lock.query('rollback').catch(() => {});
      await lock.end();
    };
    return { ...cli, pgDump, release };
  }

  it(
    'SIGTERM during a backup: pg_dump stopped, password file removed, run interrupted, exit 1; the password was never in argv or environment',
    linuxOnly,
    async () => {
      const journal = join(dir, 'term.db');
      const held = await backupHeldInPgDump(journal);
      try {
        const pid = held.child.pid!;
        // While it runs: the password is in a 0600 file, not on pg_dump's command line or in its environment.
        const argv = readFileSync(`/proc/${held.pgDump}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${held.pgDump}/environ`, 'utf8');
        assert.ok(!argv.includes(PASSWORD) && !environ.includes(PASSWORD), 'the password is in argv or env');
        assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(PASSWORD));
        assert.equal(passDirsOf(tmp, pid).length, 1, 'the password file exists while pg_dump runs');
        held.child.kill('SIGTERM');
        const run = await held.done;
        assert.equal(run.signal, null, 'dbfleet handled SIGTERM instead of dying of it');
        assert.equal(run.code, 1, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.ok, false);
        assert.equal(report.interrupted, true);
        assert.deepEqual(passDirsOf(tmp, pid), [], 'the password directory was removed');
        assert.equal(journalRuns(journal).at(-1)?.status, 'interrupted');
        assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD), 'the password leaked');
        assert.ok(!readFileSync(journal).includes(PASSWORD), 'the password is in the journal');
      } finally {
        await held.release();
      }
    },
  );

  it(
    'after a SIGKILL the next run removes the dead process password directory at once and marks its run interrupted',
    linuxOnly,
    async () => {
      const journal = join(dir, 'kill.db');
      const held = await backupHeldInPgDump(journal);
      let pid: number;
      try {
        pid = held.child.pid!;
        await waitUntil('the run to be journaled', () => journalRuns(journal).length > 0);
        held.child.kill('SIGKILL');
        const run = await held.done;
        assert.equal(run.signal, 'SIGKILL');
      } finally {
        await held.release();
      }
      assert.equal(
        passDirsOf(tmp, pid).length,
        1,
        'SIGKILL left the password directory (nothing can catch it)',
      );
      assert.equal(journalRuns(journal).at(-1)?.status, 'running', 'SIGKILL left the run running');
      // The next run — a migrate of another tenant, sharing the journal and /tmp — cleans up after it.
      const next = await runCli(
        [
          'migrate',
          '--tenants',
          inventory,
          '--tenant',
          slowOnes[0]!,
          '--migrations',
          SLOW,
          '--journal',
          journal,
        ],
        { cwd: dir, env: { TMPDIR: tmp } },
      );
      assert.equal(next.code, 0, next.stdout + next.stderr);
      assert.deepEqual(passDirsOf(tmp, pid), [], 'the dead process password directory was removed');
      const runs = journalRuns(journal);
      assert.deepEqual(
        runs.map((r) => [r.command, r.status]),
        [
          ['backup', 'interrupted'],
          ['migrate', 'finished'],
        ],
      );
    },
  );
});
