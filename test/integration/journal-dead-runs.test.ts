// A run left `running` by a killed process is marked `interrupted` by the next process that opens the
// journal — but only when that process is certainly gone: a pid can be reused, and a journal can be
// shared by runners on other hosts or in other containers (other pid namespaces). Run against the
// default SQLite journal and a PostgreSQL control database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import knexFactory from 'knex';
import { Journal } from '../../src/journal/journal.js';
import { report } from '../../src/report/report.js';
import { currentProcess, type ProcessIdentity } from '../../src/util/process-alive.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const linuxOnly = { skip: process.platform !== 'linux' && 'Linux only (/proc)' };

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

const prefix = uniquePrefix('jdead');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-jdead-'));

before(() => createDatabases([`${prefix}_control`]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

for (const [kind, target] of [
  ['SQLite', () => join(dir, 'journal.db')],
  ['PostgreSQL', () => pgUrl(`${prefix}_control`)],
] as const) {
  describe(`${kind} journal: runs whose process is gone`, linuxOnly, () => {
    it('are marked interrupted at their last activity; live, foreign and unjudgeable runs stay running', async () => {
      const me = currentProcess();
      const owners: Record<string, ProcessIdentity | null> = {
        alive: me,
        reusedPid: { ...me, startTime: '1' }, // our pid, but we are not the process that started then
        deadPid: { ...me, pid: deadPid() },
        otherNamespace: { ...me, pid: deadPid(), pidNs: 'pid:[1]' },
        otherBoot: { ...me, pid: deadPid(), bootId: '00000000-0000-0000-0000-000000000000' },
        otherHost: { ...me, pid: deadPid(), host: `${me.host}-elsewhere` },
        noOwner: null, // journaled before runs recorded their process
      };
      const seed = await Journal.open(target());
      try {
        for (const [name, owner] of Object.entries(owners)) {
          await seed.knex('dbfleet_runs').insert({
            run_id: `${kind}-${name}`,
            command: 'migrate',
            status: 'running',
            started_at: 1_000,
            owner: owner ? JSON.stringify(owner) : null,
          });
          await seed.knex('dbfleet_run_tenants').insert({
            run_id: `${kind}-${name}`,
            tenant_id: 't1',
            status: 'running',
            started_at: 5_000,
          });
        }
      } finally {
        await seed.close();
      }

      const next = await Journal.open(target());
      try {
        const rows = await next
          .knex('dbfleet_runs')
          .where('run_id', 'like', `${kind}-%`)
          .select('run_id', 'status', 'finished_at');
        const status = Object.fromEntries(rows.map((r) => [r.run_id.slice(kind.length + 1), r.status]));
        assert.deepEqual(status, {
          alive: 'running',
          reusedPid: 'interrupted',
          deadPid: 'interrupted',
          otherNamespace: 'running',
          otherBoot: 'running',
          otherHost: 'running',
          noOwner: 'running',
        });
        const dead = rows.find((r) => r.run_id === `${kind}-deadPid`);
        assert.equal(Number(dead.finished_at), 5_000, 'ended at its last journaled activity');
      } finally {
        await next.close();
      }
    });

    // `report` reads the journal without opening it as a run does: it must still not show a killed run
    // as running (its tenants in maintenance, "Maintenance window: none").
    it('report shows a run whose process is gone as interrupted', async () => {
      const me = currentProcess();
      const seed = await Journal.open(target());
      try {
        await seed.knex('dbfleet_runs').insert({
          run_id: `${kind}-report-dead`,
          command: 'upgrade',
          status: 'running',
          started_at: 9_000_000_000_000,
          owner: JSON.stringify({ ...me, pid: deadPid() }),
        });
      } finally {
        await seed.close();
      }
      const doc = await report({ journal: target(), runId: `${kind}-report-dead` });
      assert.equal(doc.run.status, 'interrupted');
    });

    it('a new run journals its process', async () => {
      const journal = await Journal.open(target());
      try {
        journal.planRun(`${kind}-owned`, 'migrate', {}, [{ id: 't1', host: 'h' }]);
        await journal.flush();
        const row = await journal
          .knex('dbfleet_runs')
          .where({ run_id: `${kind}-owned` })
          .first();
        assert.deepEqual(JSON.parse(row.owner), currentProcess());
      } finally {
        await journal.close();
      }
    });
  });
}

describe('a journal written before runs recorded their process', () => {
  it('gets the owner column when it is opened', async () => {
    const file = join(dir, 'old.db');
    const old = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
    });
    await old.schema.createTable('dbfleet_runs', (t) => {
      t.string('run_id', 64).primary();
      t.string('command', 40).notNullable();
      t.string('status', 20).notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('finished_at');
      t.text('options');
      t.text('summary');
    });
    await old('dbfleet_runs').insert({ run_id: 'old', command: 'upgrade', status: 'running', started_at: 1 });
    await old.destroy();
    const journal = await Journal.open(file);
    try {
      assert.ok(await journal.knex.schema.hasColumn('dbfleet_runs', 'owner'));
      const row = await journal.knex('dbfleet_runs').where({ run_id: 'old' }).first();
      assert.equal(row.status, 'running', 'a run of unknown process is never declared dead');
    } finally {
      await journal.close();
    }
  });
});
