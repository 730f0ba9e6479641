// The password-file module installs its exit cleanup only when a password file is first written:
// importing it (every CLI command sweeps leftovers through it) adds no process listener.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = new URL('../../src/dialect/postgres/passfile.ts', import.meta.url).href;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `body` as an ES module in a fresh node (TypeScript through tsx); its stdout parsed as JSON. */
function inChild(body: string): unknown {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

describe('password file exit cleanup', () => {
  it('importing the module adds no exit listener; the first password file adds one, and only one', () => {
    const counts = inChild(`
      const before = process.listenerCount('exit');
      const { withPassfile, sweepStalePassDirsOnce } = await import(${JSON.stringify(MODULE)});
      sweepStalePassDirsOnce();
      const imported = process.listenerCount('exit');
      await withPassfile('not-a-real-password', async () => {});
      const afterFirst = process.listenerCount('exit');
      await withPassfile('not-a-real-password', async () => {});
      await withPassfile(undefined, async () => {});
      const afterMore = process.listenerCount('exit');
      console.log(JSON.stringify({ before, imported, afterFirst, afterMore }));
    `) as Record<string, number>;
    assert.equal(counts.imported, counts.before);
    assert.equal(counts.afterFirst, counts.before! + 1);
    assert.equal(counts.afterMore, counts.afterFirst);
  });

  it('a run cut short by exit still removes its password file', () => {
    const { dir } = inChild(`
      const { dirname } = await import('node:path');
      const { withPassfile } = await import(${JSON.stringify(MODULE)});
      await withPassfile('not-a-real-password', async (file) => {
        console.log(JSON.stringify({ dir: dirname(file) }));
        process.exit(0);
      });
    `) as { dir: string };
    assert.match(dir, /dbfleet-pass-/);
    assert.ok(!existsSync(dir), `${dir} outlived the process`);
  });
});
