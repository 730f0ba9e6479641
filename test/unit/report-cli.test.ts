import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openJournalDatabase } from '../../src/journal/open.js';
import { TENANTS } from '../../src/journal/schema.js';
import { fillSampleJournal, RUNS } from '../helpers/report-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-cli-'));
const journal = join(dir, 'journal.db');

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'test/helpers/report-cli-main.ts');

/** Runs `dbfleet report …` in a child process; returns the exit code and what went to stdout and stderr. */
function report(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, 'report', ...args],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') fail(err);
        else done({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

describe('dbfleet report (command)', () => {
  before(() => fillSampleJournal(journal));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the newest upgrade run as a table on stdout, and says which run it shows on stderr', async () => {
    const r = await report('--journal', journal);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`dbfleet report — run ${RUNS.second} · upgrade`));
    assert.match(r.stdout, /│ globex/);
    assert.match(
      r.stderr,
      new RegExp(
        `the newest upgrade run, ${RUNS.second}; the newest run is verify ${RUNS.verify} — pick another with --run <id>`,
      ),
    );
  });

  it('--run picks a run; --out writes the file (making its folder), the format following its extension', async () => {
    const file = join(dir, 'out', 'report.html');
    const r = await report('--journal', journal, '--run', RUNS.second, '--out', file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /report written to/);
    const page = readFileSync(file, 'utf8');
    assert.match(page, /<table id="fleet">/);
    for (const id of ['acme', 'globex', 'hooli', 'initech', 'stark', 'umbrella', 'wayne'])
      assert.ok(page.includes(`data-tenant="${id}"`), id);
  });

  it('--format json', async () => {
    const json = await report('--journal', journal, '--run', RUNS.first, '--format', 'json');
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.run.runId, RUNS.first);
    assert.equal(doc.tenants.length, 3);
  });

  it('the journal comes from the config when --journal is not given', async () => {
    const config = join(dir, 'dbfleet.config.json');
    writeFileSync(config, JSON.stringify({ journal: 'journal.db' }));
    const r = await report('--config', config, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).run.runId, RUNS.second);
  });

  it('no password in any format, and redaction leaves the JSON and the HTML intact', async () => {
    const knex = await openJournalDatabase(journal);
    try {
      await knex(TENANTS)
        .where({ run_id: RUNS.verify, tenant_id: 'globex' })
        .update({ error_message: 'postgres://app:s3cret@db1/globex: login failed, password=hunter2' });
    } finally {
      await knex.destroy();
    }
    const [json, html] = await Promise.all([
      report('--journal', journal, '--run', RUNS.verify, '--format', 'json'),
      report('--journal', journal, '--run', RUNS.verify, '--format', 'html'),
    ]);
    for (const r of [json, html]) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!/hunter2|s3cret/.test(r.stdout), 'a password was printed');
    }
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.failures[0].message, 'postgres://app:***@db1/globex: login failed, password=***');
    assert.match(
      html.stdout,
      /<td class="reason">postgres:\/\/app:\*\*\*@db1\/globex: login failed, password=\*\*\*<\/td><\/tr>/,
    );
  });

  it('exit 2: unknown run; no journal at the path (and none is created)', async () => {
    const missing = join(dir, 'nowhere', 'journal.db');
    const [unknown, none] = await Promise.all([
      report('--journal', journal, '--run', 'no-such-run'),
      report('--journal', missing),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run no-such-run in the journal/);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no journal at/);
    assert.equal(existsSync(join(dir, 'nowhere')), false);
  });
});
