import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  atomicWriteFile,
  backupStamp,
  ensurePrivateDir,
  prepareBackupDir,
  reserveBackupPaths,
  sha256File,
  tenantDirName,
} from '../../src/backup/files.js';
import { type BackupManifest, listBackups, parseManifest, writeManifest } from '../../src/backup/manifest.js';
import { UsageError } from '../../src/core/errors.js';
import { makeUnwritable } from '../helpers/fs.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

function manifest(file: string, createdAt: string, verified: boolean | null): BackupManifest {
  return {
    format: 'dbfleet-backup',
    version: 1,
    tenant: 'acme',
    dialect: 'sqlite',
    database: '/x/acme.sqlite',
    file,
    server_version: '3.45.0',
    tool: 'sqlite-backup-api',
    tool_version: 'better-sqlite3 12',
    bytes: 3,
    sha256: 'a'.repeat(64),
    created_at: createdAt,
    duration_ms: 5,
    fingerprint: { level: 'counts', schemaHash: 'h', objects: {}, tables: { t: { schema: 's', rows: 1 } } },
    verification: verified === null ? null : { level: 'light', ok: verified, at: createdAt },
  };
}

describe('backup files', () => {
  it('prepareBackupDir creates a missing directory with mode 0700', async () => {
    const dir = join(root, 'new', 'backups');
    assert.equal(await prepareBackupDir(dir, { create: true, writable: true }), dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('prepareBackupDir: a file in its place is a clear usage error', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await assert.rejects(prepareBackupDir(file, { create: true, writable: true }), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /a-file is not a directory/);
      return true;
    });
    await assert.rejects(
      prepareBackupDir(join(file, 'below'), { create: true, writable: true }),
      /cannot be created: a part of its path is not a directory/,
    );
  });

  it('prepareBackupDir: a missing directory is an error where it must exist (verify, restore)', async () => {
    await assert.rejects(
      prepareBackupDir(join(root, 'nope'), { create: false, writable: false }),
      /does not exist/,
    );
  });

  it('prepareBackupDir: an unwritable directory is a clear usage error', async (t) => {
    const dir = join(root, 'readonly');
    await ensurePrivateDir(dir);
    const undo = makeUnwritable(dir);
    if (!undo) return t.skip('cannot make a directory unwritable here');
    try {
      await assert.rejects(prepareBackupDir(dir, { create: true, writable: true }), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /readonly is not writable: (EACCES|EPERM|EROFS)/);
        return true;
      });
      // Reading is enough for verify.
      assert.equal(await prepareBackupDir(dir, { create: false, writable: false }), dir);
    } finally {
      undo();
    }
  });

  it('tenant directory names are single safe path components', () => {
    assert.equal(tenantDirName('acme-eu.1'), 'acme-eu.1');
    for (const id of ['..', '.', '../etc', 'a/b', '-rf', 'Ä b', '']) {
      const name = tenantDirName(id);
      assert.doesNotMatch(name, /[/\\]/);
      assert.ok(name !== '.' && name !== '..' && !name.startsWith('-'), name);
    }
    assert.notEqual(tenantDirName('a/b'), tenantDirName('a_b'));
  });

  it('timestamps sort as text and a name is never reused', async () => {
    assert.equal(backupStamp(new Date('2025-01-07T09:30:15.123Z')), '20250107T093015123Z');
    const dir = join(root, 'reserve');
    await ensurePrivateDir(dir);
    const now = new Date('2025-01-07T09:30:15.123Z');
    const a = await reserveBackupPaths(dir, 'dump', now);
    writeFileSync(a.path, 'x');
    const b = await reserveBackupPaths(dir, 'dump', now);
    assert.equal(a.path, join(dir, '20250107T093015123Z.dump'));
    assert.equal(b.path, join(dir, '20250107T093015124Z.dump'));
    assert.equal(b.manifestPath, `${b.path}.manifest.json`);
    // The temporary file exists, empty and private, before any tool writes into it.
    assert.equal(statSync(b.tmpPath).size, 0);
    assert.equal(statSync(b.tmpPath).mode & 0o777, 0o600);
    assert.match(b.tmpPath, /\/\.20250107T093015124Z\.dump\.partial-[0-9a-f]+$/);
  });

  it('atomicWriteFile leaves a 0600 file and no temporary file', async () => {
    const dir = join(root, 'atomic');
    await ensurePrivateDir(dir);
    await atomicWriteFile(join(dir, 'm.json'), '{"a":1}');
    await atomicWriteFile(join(dir, 'm.json'), '{"a":2}');
    assert.deepEqual(readdirSync(dir), ['m.json']);
    assert.equal(readFileSync(join(dir, 'm.json'), 'utf8'), '{"a":2}');
    assert.equal(statSync(join(dir, 'm.json')).mode & 0o777, 0o600);
  });

  it('sha256File streams the file', async () => {
    const file = join(root, 'blob');
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 'xyz');
    writeFileSync(file, data);
    assert.equal(await sha256File(file), createHash('sha256').update(data).digest('hex'));
  });

  it('manifests: parsed strictly, listed newest first, broken ones listed with the reason', async () => {
    const dir = join(root, 'list');
    await ensurePrivateDir(dir);
    await writeManifest(
      join(dir, 'b1.dump.manifest.json'),
      manifest('b1.dump', '2025-01-01T00:00:00.000Z', true),
    );
    await writeManifest(
      join(dir, 'b3.dump.manifest.json'),
      manifest('b3.dump', '2025-01-03T00:00:00.000Z', null),
    );
    await writeManifest(
      join(dir, 'b2.dump.manifest.json'),
      manifest('b2.dump', '2025-01-02T00:00:00.000Z', false),
    );
    writeFileSync(join(dir, 'b0.dump.manifest.json'), '{"format":"dbfleet-backup"');
    await writeManifest(
      join(dir, 'bx.dump.manifest.json'),
      manifest('other.dump', '2025-01-04T00:00:00.000Z', true),
    );
    const entries = await listBackups(dir);
    const good = entries.filter((e) => e.manifest).map((e) => e.manifest?.file);
    assert.deepEqual(good, ['b3.dump', 'b2.dump', 'b1.dump']);
    const broken = entries.filter((e) => !e.manifest).map((e) => e.problem);
    assert.equal(broken.length, 2);
    assert.ok(broken.some((p) => /not valid JSON/.test(p ?? '')));
    assert.ok(broken.some((p) => /describes other\.dump, not bx\.dump/.test(p ?? '')));
    assert.throws(
      () => parseManifest(JSON.stringify({ ...manifest('x', 'y', true), sha256: 'nothex' })),
      /sha256/,
    );
    // A corrupt fingerprint is named, not a crash later in compareFingerprints.
    const m = manifest('x', 'y', true);
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({ ...m, fingerprint: { ...m.fingerprint, tables: { t: { rows: 1 } } } }),
        ),
      /the manifest is invalid: fingerprint\.tables\.t\.schema/,
    );
  });
});
