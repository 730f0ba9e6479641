// `upgrade` checks before its first wave: an unsafe migration nobody accepted, or a canary whose schema
// drifted from the others on its version, refuses the run (exit 2) before anything changes; the
// --allow-unsafe / --allow-drift overrides start it and the journal's report says they were used.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const UNSAFE = join(ROOT, 'test/fixtures/lint/unsafe');

describe('upgrade pre-flight against PostgreSQL', () => {
  const prefix = uniquePrefix('preflight');
  const names = ['a', 'b', 'c'].map((t) => `${prefix}_${t}`);
  let dir: string;
  let migrations: string;
  let inventory: string;
  const dbfleet = (...args: string[]) =>
    runCli(
      [
        ...args,
        '--tenants',
        inventory,
        '--migrations',
        migrations,
        '--journal',
        join(dir, 'journal.db'),
        '--backup-dir',
        join(dir, 'backups'),
      ],
      { cwd: dir, env: {} },
    );
  const history = async (db: string) =>
    (await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id')).map(
      (r) => r.name,
    );

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-preflight-'));
    migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    for (const f of ['001_base.sql', '002_applied_index.sql'])
      copyFileSync(join(UNSAFE, f), join(migrations, f));
    inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(
        names.map((name, i) => ({
          id: 'abc'[i],
          dialect: 'postgres',
          connection: pgUrl(name),
          ...(i === 0 ? { tags: ['canary'] } : {}),
        })),
      ),
    );
    const first = await dbfleet('migrate');
    assert.equal(first.code, 0, first.stderr);
    // Release 2: one unsafe statement on an existing table.
    copyFileSync(join(UNSAFE, '003_index.sql'), join(migrations, '003_index.sql'));
  });
  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unaccepted unsafe migration before changing anything, and --allow-unsafe starts it', async () => {
    const refused = await dbfleet('upgrade', '--json');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /pre-flight refused the upgrade; nothing was changed/);
    assert.match(refused.stderr, /003_index\.sql: index-not-concurrent/);
    assert.match(refused.stderr, /--allow-unsafe/);
    for (const db of names) assert.deepEqual(await history(db), ['001_base.sql', '002_applied_index.sql']);

    const allowed = await dbfleet('upgrade', '--json', '--allow-unsafe');
    assert.equal(allowed.code, 0, allowed.stderr);
    const report = JSON.parse(allowed.stdout);
    for (const db of names) assert.deepEqual((await history(db)).at(-1), '003_index.sql');
    const md = await runCli(
      ['report', '--run', report.runId, '--format', 'md', '--journal', join(dir, 'journal.db')],
      { cwd: dir, env: {} },
    );
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /pre-flight: started with --allow-unsafe over 1 unsafe statement/);
  });

  it('refuses drift in the canary wave, and --allow-drift starts it with the override on record', async () => {
    // Release 3 is safe; the canary (a) has an index the others do not have.
    writeFileSync(join(migrations, '004_note.sql'), 'alter table accounts add column note text;\n');
    await queryDatabase(names[0]!, 'create index extra_idx on legacy (id)');
    const refused = await dbfleet('upgrade', '--canary', 'canary', '--json');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /drift: 1 tenant\(s\) of the first wave differ/);
    assert.match(refused.stderr, /\ba\b/);
    for (const db of names) assert.equal((await history(db)).at(-1), '003_index.sql');

    const allowed = await dbfleet('upgrade', '--canary', 'canary', '--allow-drift', '--json');
    assert.equal(allowed.code, 0, allowed.stderr);
    for (const db of names) assert.equal((await history(db)).at(-1), '004_note.sql');
    const md = await runCli(
      [
        'report',
        '--run',
        JSON.parse(allowed.stdout).runId,
        '--format',
        'md',
        '--journal',
        join(dir, 'journal.db'),
      ],
      { cwd: dir, env: {} },
    );
    assert.match(md.stdout, /pre-flight: started with --allow-drift over 1 drifted first-wave tenant/);
  });

  it('drift in a later wave does not stop the run: a warning names the tenant, and the report keeps it', async () => {
    // Release 4: the canary is clean again; c (a later wave) has an index the others do not have.
    writeFileSync(join(migrations, '005_note2.sql'), 'alter table accounts add column note2 text;\n');
    await queryDatabase(names[0]!, 'drop index extra_idx');
    await queryDatabase(names[2]!, 'create index later_idx on legacy (id)');
    const run = await dbfleet('upgrade', '--canary', 'canary');
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /drift: 1 tenant\(s\) of later waves differ from the others on their version \(dbfleet drift\): c\b/,
    );
    for (const db of names) assert.equal((await history(db)).at(-1), '005_note2.sql');
    // The latest run's report.
    const md = await runCli(['report', '--format', 'md', '--journal', join(dir, 'journal.db')], {
      cwd: dir,
      env: {},
    });
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /1 later-wave tenant\(s\) had drifted/);
  });
});
