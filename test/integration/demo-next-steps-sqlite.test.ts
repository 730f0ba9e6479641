// `dbfleet demo` ends with the commands to run next. They must work where the demo was run — here inside a
// project whose knexfile names its own (not yet made) migrations folder — although the demo's migrations
// are the package's own: `status --tenants` read that folder's migrations and failed (in an empty folder
// too: no ./migrations), or called the demo tenants' history unknown.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-child.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The demo in `cwd`, then every command of its "Next:" lines, as printed. */
async function demoThenNext(cwd: string) {
  const demo = await runCli(['demo', '--tenants', '2'], { cwd });
  assert.equal(demo.code, 0, demo.stderr);
  const next = [...demo.stdout.matchAll(/^(?:Next:)?\s+npx dbfleet (.+)$/gm)].map((m) => m[1]!.split(' '));
  assert.equal(next.length, 2, demo.stdout);
  return Promise.all(next.map((args) => runCli(args, { cwd })));
}

describe("the demo's next steps run where the demo ran", () => {
  it("inside a project with its own knexfile and migrations: the demo's are not confused with them", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dbfleet-demo-next-project-'));
    dirs.push(cwd);
    writeFileSync(join(cwd, 'package.json'), '{}');
    writeFileSync(
      join(cwd, 'knexfile.js'),
      "module.exports = { client: 'better-sqlite3', connection: { filename: './app.sqlite' }, useNullAsDefault: true, migrations: { directory: './db' } };\n",
    );
    const [status, report] = await demoThenNext(cwd);
    assert.equal(status!.code, 0, `${status!.stdout}\n${status!.stderr}`);
    assert.doesNotMatch(status!.stdout, /problem|unknown|missing/i);
    assert.match(status!.stdout, /2 succeeded, 0 failed/);
    assert.match(status!.stdout, /^\s+2\s+20240203000000_add_course_archived_at\.ts$/m, status!.stdout);
    assert.equal(report!.code, 0, report!.stderr);
    assert.match(report!.stdout, /2 succeeded, 0 failed/);
  });
});
