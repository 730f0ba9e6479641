// `restore` asked for --yes before it looked at its backup folder: `restore --tenant a --backup-dir typo`
// answered "confirm with --yes", and only with --yes said the folder did not exist.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restore } from '../../src/backup/fleet.js';
import { UsageError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';

const tenant: Tenant = {
  id: 'a',
  dialect: 'sqlite',
  connection: { filename: '/tmp/dbfleet-restore-confirm-a.sqlite' },
  host: 'sqlite',
  database: 'a',
  tags: [],
};

describe('restore without --yes', () => {
  it('a backup folder that does not exist is said first', async () => {
    await assert.rejects(
      restore({ tenants: [tenant], backupDir: '/nonexistent/dbfleet-backups', yes: false }),
      (err: unknown) => err instanceof UsageError && /does not exist/.test(err.message),
    );
  });

  it('an existing folder: the --yes question', async () => {
    await assert.rejects(
      restore({ tenants: [tenant], backupDir: '/tmp', yes: false }),
      (err: unknown) => err instanceof UsageError && /confirm with --yes/.test(err.message),
    );
  });
});
