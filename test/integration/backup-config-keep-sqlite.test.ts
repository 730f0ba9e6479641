// The configuration's `backups: { keep: n }` is what `dbfleet backup` keeps when no --keep is given (it was
// validated, then never applied); the flag wins. The CLI from source, against a SQLite tenant.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-bkkeep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function backup(...args: string[]) {
  return new Promise<number>((settle) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/dbfleet.js'), 'backup', ...args],
      { cwd: dir, env: { ...process.env, NODE_ENV: '' } },
      (err) => settle(err ? Number((err as { code?: number }).code ?? 1) : 0),
    );
  });
}
const backups = () => readdirSync(join(dir, 'bk', 'r4')).filter((n) => n.endsWith('.sqlite')).length;

test('backups.keep from the configuration applies without --keep; --keep wins', async () => {
  mkdirSync(join(dir, 'migrations'));
  const db = new Database(join(dir, 'r4.sqlite'));
  db.exec('create table t (id integer primary key)');
  db.close();
  writeFileSync(
    join(dir, 'knexfile.js'),
    `module.exports = {
  inventory: [{ id: 'r4', dialect: 'sqlite', connection: './r4.sqlite' }],
  migrations: { directory: './migrations' },
  backups: { directory: './bk', keep: 1 },
};\n`,
  );
  for (let i = 0; i < 3; i++) assert.equal(await backup(), 0);
  assert.equal(backups(), 1);
  assert.equal(await backup('--keep', '3'), 0);
  assert.equal(await backup('--keep', '3'), 0);
  assert.equal(backups(), 3);
});
