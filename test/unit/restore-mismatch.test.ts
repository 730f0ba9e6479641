// A restore that replaced the tenant's data and then found its fingerprint differs from the backup's said only
// "the restored database differs from the backup's fingerprint: …": read as if nothing had happened (so
// try again) or the old data were still there. Now it says first that the data was replaced, and by which
// backup, then what differs and what to check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoredButDiffers } from '../../src/backup/restore-mismatch.js';

describe('restoredButDiffers', () => {
  const rows = [{ table: 't', what: 'rows' as const, expected: 3, found: 2 }];

  it('says the data was replaced by which backup of which run, then the differences and what to check', () => {
    const message = restoredButDiffers(
      'acme',
      '/b/acme/20240101T000000000Z.sqlite',
      { created_at: '2024-01-01T00:00:00.000Z', upgrade: { run: 'run-7', stage: 'pre' } },
      rows,
    );
    assert.equal(
      message,
      "acme's data was replaced by its backup of 2024-01-01T00:00:00.000Z, taken before upgrade run run-7 (/b/acme/20240101T000000000Z.sqlite), but the restored database differs from that backup's fingerprint: t: rows expected 3, found 2. Check the backup with `dbfleet verify --deep --tenant acme --backup /b/acme/20240101T000000000Z.sqlite`, and compare the tenant with its peers with `dbfleet drift`",
    );
  });

  it('a backup of no run; a path the shell would split is quoted in the command', () => {
    const message = restoredButDiffers('acme', "/b/it's here.dump", { created_at: 'T' }, rows);
    assert.match(message, /^acme's data was replaced by its backup of T \(\/b\/it's here\.dump\), but/);
    assert.match(message, /--backup '\/b\/it'\\''s here\.dump'`/);
  });
});
