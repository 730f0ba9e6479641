/**
 * The example fleet configuration: the SQLite demo fleet that `npx dbfleet demo` creates.
 * With this file in the working directory, `npx dbfleet status` needs no other option.
 * For a PostgreSQL fleet, see README.md ("Quick start against PostgreSQL").
 */
import { defineConfig } from './src/config/types.js';

export default defineConfig({
  // Every SQLite file of the demo fleet is a tenant (discovery); a JSON file, a list, a catalog
  // query against a control database, or PostgreSQL server discovery work the same way.
  inventory: { discover: { dialect: 'sqlite', glob: '.dbfleet/demo/*.sqlite', tags: ['demo'] } },
  migrations: { directory: './migrations' },
  optimizations: { directory: './optimizations' },
  backups: { directory: './.dbfleet/demo/backups', keep: 3 },
  journal: './.dbfleet/demo/journal.db',
  concurrency: 8,
  perHost: 4,
  timeouts: { lock: '5s', statement: '10m' },
  // The upgrade's maintenance window: closed before the pre-upgrade backup, reopened only when every
  // step and smoke check passed (a failed tenant stays closed).
  hooks: {
    beforeTenant: "UPDATE app_settings SET value = 'on' WHERE key = 'maintenance'",
    afterTenant: "UPDATE app_settings SET value = 'off' WHERE key = 'maintenance'",
  },
  // Smoke checks: every .sql file must return a truthy first column (see ./checks).
  checks: './checks',
});
