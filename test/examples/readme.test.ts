// The README's examples are run, not just shown: a README that lies fails CI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function example(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(README);
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
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    for (const id of ['acme', 'globex', 'initech'])
      assert.match(out, new RegExp(`${id}: 20240101000000_create_users.ts`));
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
