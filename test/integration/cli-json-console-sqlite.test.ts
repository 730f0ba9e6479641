// With --json, stdout carries the JSON report and nothing else: whatever a migration prints through
// `console` goes to stderr. console.dir and console.dirxml write to stdout on their own (they do not go
// through console.log), so they broke the report for whoever parses it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-json-console-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--json with a migration that prints', () => {
  before(() => {
    new Database(join(dir, 'chatty.sqlite')).close();
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'chatty', dialect: 'sqlite', connection: 'chatty.sqlite' }]),
    );
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '20260101000000_chatty.js'),
      [
        'exports.up = async (knex) => {',
        "  console.dir({ dirSays: 'hi' });",
        "  console.dirxml({ dirxmlSays: 'hi' });",
        "  console.table([{ tableSays: 'hi' }]);",
        "  console.log('log says hi');",
        "  await knex.raw('select 1');",
        '};',
        'exports.down = async () => {};',
        '',
      ].join('\n'),
    );
  });

  it('stdout is the JSON report alone; what console printed is on stderr', async () => {
    const r = await runCli(
      [
        'migrate',
        '--json',
        '--tenants',
        'tenants.json',
        '--migrations',
        'migrations',
        '--journal',
        'journal.db',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.tenants[0].applied, ['20260101000000_chatty.js']);
    for (const said of ['dirSays', 'dirxmlSays', 'tableSays', 'log says hi'])
      assert.match(r.stderr, new RegExp(said));
  });
});
