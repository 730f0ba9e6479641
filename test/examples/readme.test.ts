// The README's examples are run, not just shown: a README that lies fails CI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function example(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`(?:ts|js)\\n([\\s\\S]*?)\`\`\``).exec(README);
  assert.ok(match, `README has no "${name}" example`);
  return match[1]!;
}

test('the library example in the README runs and migrates three tenants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-readme-'));
  try {
    const file = join(dir, 'example.mts');
    // The example imports the published name; here it runs against the sources.
    writeFileSync(
      file,
      example('library').replace("from 'dbfleet'", `from ${JSON.stringify(join(ROOT, 'src/index.ts'))}`),
    );
    // Run from an empty folder, as in a new project: the example brings everything it needs.
    const out = execFileSync(
      process.execPath,
      ['--import', join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'), file],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    for (const id of ['acme', 'globex', 'initech'])
      assert.match(out, new RegExp(`${id}: 20240101000000_create_users\\.sql`));
    assert.match(out, /total: 3, succeeded: 3, failed: 0, skipped: 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's command table and the CLI's commands are the same", () => {
  const help = execFileSync(process.execPath, [join(ROOT, 'bin/dbfleet.js'), '--help'], { encoding: 'utf8' });
  const listed = [...README.matchAll(/^\| `(\w+)[ `]/gm)].map((m) => m[1]!);
  assert.ok(listed.length >= 10, 'the README command table was not found');
  for (const command of new Set(listed))
    assert.match(help, new RegExp(`dbfleet ${command}\\b`), `README lists ${command}`);
  // And the other way round: the table left out `worker`.
  for (const [, command] of help.matchAll(/^ {2}dbfleet (\w+) /gm))
    assert.ok(listed.includes(command!), `the README's command table does not list ${command}`);
});

// The configuration examples are checked against the schema as a user's file would be: a key the README
// shows and the schema does not know is exit 2 for whoever copies it.
test("the README's configuration examples load and pass the config schema", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-readme-config-'));
  try {
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'acme', connection: { database: 'acme' } }]),
    );
    const config = join(dir, 'knexfile.ts');
    writeFileSync(
      config,
      example('config').replace("from 'dbfleet'", `from ${JSON.stringify(join(ROOT, 'src/index.ts'))}`),
    );
    const loaded = await loadConfig(config, dir);
    assert.deepEqual(Object.keys(loaded.config).sort(), [
      'backups',
      'checks',
      'concurrency',
      'hooks',
      'inventory',
      'journal',
      'migrations',
      'optimizations',
      'perHost',
      'throttle',
      'timeouts',
    ]);
    // In a folder of its own: under tsx (these tests), an import of knexfile.js beside a knexfile.ts
    // resolves to the .ts file.
    mkdirSync(join(dir, 'knex'));
    writeFileSync(join(dir, 'knex', 'tenants.json'), '[]');
    const knexfile = join(dir, 'knex', 'knexfile.js');
    writeFileSync(knexfile, example('knexfile'));
    for (const env of ['development', 'production']) {
      const fromKnexfile = await loadConfig(knexfile, join(dir, 'knex'), { env });
      assert.equal(fromKnexfile.environment, env);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
