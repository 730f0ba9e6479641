// A backup that failed its verification is set aside under a hidden failed name (never listed, never
// restored) and swept after FAILED_KEEP_MS, like the partial files of a killed run.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  FAILED_KEEP_MS,
  failedPathFor,
  removeStalePartials,
  setAsideFailedBackup,
} from '../../src/backup/files.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-set-aside-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('failed backups are set aside', () => {
  it('moves the file, then its manifest, to hidden failed names', async () => {
    const path = join(dir, '20250101T000000000Z.dump');
    writeFileSync(path, 'x');
    writeFileSync(`${path}.manifest.json`, '{}');
    const failed = await setAsideFailedBackup(path, `${path}.manifest.json`);
    assert.equal(failed, failedPathFor(path));
    assert.deepEqual(readdirSync(dir).sort(), [
      '.20250101T000000000Z.dump.failed',
      '.20250101T000000000Z.dump.failed.json',
    ]);
  });

  it(`keeps a failed backup for inspection, then sweeps it after ${FAILED_KEEP_MS / 86_400_000} days`, async () => {
    const names = readdirSync(dir);
    await removeStalePartials(dir, names);
    assert.equal(readdirSync(dir).length, 2, 'a fresh failed backup stays');
    const old = (Date.now() - FAILED_KEEP_MS - 60_000) / 1000;
    for (const name of names) utimesSync(join(dir, name), old, old);
    await removeStalePartials(dir, names);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe("a killed manifest write's temporary file", () => {
  it('is swept after a day like a partial backup (the chaos loop found them left for good)', async () => {
    // atomicWriteFile's temporary name: a kill -9 between its write and its rename leaves it behind.
    const sub = mkdtempSync(join(dir, 'tmp-'));
    const name = '.0123456789ab.tmp';
    writeFileSync(join(sub, name), '{}');
    await removeStalePartials(sub, [name]);
    assert.deepEqual(readdirSync(sub), [name], 'a fresh one may be a live write');
    const old = (Date.now() - 2 * 86_400_000) / 1000;
    utimesSync(join(sub, name), old, old);
    await removeStalePartials(sub, [name]);
    assert.deepEqual(readdirSync(sub), []);
  });
});

describe('leftovers that cannot be removed', () => {
  it('are left in place: cleaning is best effort (a read-only backup volume said EROFS and failed the tenant)', async () => {
    // rm without `recursive` refuses a directory: a removal that fails wherever the test runs (root included).
    const name = '.20250101T000000000Z.dump.partial-deadbeef';
    mkdirSync(join(dir, name, 'inside'), { recursive: true });
    const old = (Date.now() - 2 * 86_400_000) / 1000;
    utimesSync(join(dir, name), old, old);
    await removeStalePartials(dir, [name]);
    assert.ok(existsSync(join(dir, name)));
  });
});
