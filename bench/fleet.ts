import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pLimit from 'p-limit';
import pg from 'pg';

/** The server the bench runs against (trust auth on this machine by default). */
export const PG_BENCH_URL =
  process.env.PG_BENCH_URL ?? process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The per-database catalogs a dropped schema leaves dead rows in. */
const LOCAL_CATALOGS = [
  'pg_class',
  'pg_attribute',
  'pg_type',
  'pg_depend',
  'pg_index',
  'pg_constraint',
  'pg_attrdef',
  'pg_sequence',
  'pg_description',
  'pg_rewrite',
  'pg_statistic',
  'pg_namespace',
];

/** Admin connections used to create/drop databases: parallel enough to be quick, few enough to stay polite. */
const ADMIN_PARALLEL = 4;

export function dbUrl(database: string): string {
  const url = new URL(PG_BENCH_URL);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface BenchFleet {
  /** `bench_<hex>`: every database this run creates starts with it. */
  prefix: string;
  /** Regular expression (PostgreSQL `~`) matching the tenant databases, not the templates. */
  tenantPattern: string;
  tenantDb(index: number): string;
  templateDb(kind: string): string;
  admin: pg.Pool;
  /** (Re)creates tenants 1..count as copies of `template`; returns the time it took. Never timed as part of a run. */
  reset(count: number, template: string): Promise<number>;
  /**
   * Empties tenants 1..count in place (drop and re-create schema `public`): what a migrate run needs, at
   * a fraction of re-creating the databases — at N = 1000 that copies ~7.5 GB of catalogs through WAL.
   * Every run of every system starts from a wiped fleet, so they all see the same state. Never timed.
   */
  wipe(count: number): Promise<number>;
  /** Writes a dbfleet inventory file for tenants 1..count. */
  writeInventory(file: string, count: number): void;
  createEmpty(name: string): Promise<void>;
  drop(name: string): Promise<void>;
  /** Drops every database of this run. Idempotent. */
  dropAll(): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchFleet(): Promise<BenchFleet> {
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({
    connectionString: PG_BENCH_URL,
    max: ADMIN_PARALLEL,
    application_name: 'dbfleet-bench-admin',
  });
  // Tenants are `bench_<hex>_0001`…, templates `bench_<hex>_tpl_<kind>`: a digit tells them apart.
  const tenantDb = (index: number) => `${prefix}_${String(index).padStart(4, '0')}`;
  const drop = async (name: string) => {
    // WITH (FORCE) ends a session left behind by an interrupted run instead of failing on it.
    await admin.query(`drop database if exists ${quote(name)} with (force)`);
  };
  const limit = pLimit(ADMIN_PARALLEL);
  let dropping: Promise<void> | undefined;
  let created = 0;

  const fleet: BenchFleet = {
    prefix,
    tenantPattern: `^${prefix}_[0-9]+$`,
    tenantDb,
    templateDb: (kind) => `${prefix}_tpl_${kind}`,
    admin,
    async reset(count, template) {
      const t0 = performance.now();
      // Tenants beyond `count` from a bigger earlier N are dropped too, so `count` is exactly the fleet.
      const stale = await admin.query<{ datname: string }>(
        'select datname from pg_database where datname ~ $1',
        [fleet.tenantPattern],
      );
      await Promise.all(stale.rows.map((r) => limit(() => drop(r.datname))));
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          limit(() => admin.query(`create database ${quote(tenantDb(i + 1))} template ${quote(template)}`)),
        ),
      );
      created = Math.max(created, count);
      // Flush the copies now, so the timed run does not pay for the checkpoint the creation caused.
      await admin.query('checkpoint');
      return performance.now() - t0;
    },
    async wipe(count) {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          limit(async () => {
            const client = new pg.Client({
              connectionString: dbUrl(tenantDb(i + 1)),
              application_name: 'dbfleet-bench-admin',
            });
            await client.connect();
            try {
              await client.query('drop schema public cascade; create schema public');
              // The dropped schema's catalog rows are dead tuples: vacuumed now, or each run's DDL would
              // meet more of them than the one before, and the systems timed later would be slower.
              // Only this database's catalogs: a plain VACUUM also takes the shared ones (pg_database,
              // pg_shdepend…), and parallel vacuums then queue on each other's locks for seconds.
              await client.query(`vacuum ${LOCAL_CATALOGS.map((t) => `pg_catalog.${t}`).join(', ')}`);
            } finally {
              await client.end();
            }
          }),
        ),
      );
      await admin.query('checkpoint');
      return performance.now() - t0;
    },
    writeInventory(file, count) {
      const tenants = Array.from({ length: count }, (_, i) => ({
        id: `t${String(i + 1).padStart(4, '0')}`,
        dialect: 'postgres',
        connection: dbUrl(tenantDb(i + 1)),
      }));
      writeFileSync(file, `${JSON.stringify(tenants)}\n`);
    },
    async createEmpty(name) {
      await drop(name);
      await admin.query(`create database ${quote(name)}`);
    },
    drop,
    dropAll() {
      dropping ??= (async () => {
        const { rows } = await admin.query<{ datname: string }>(
          'select datname from pg_database where starts_with(datname, $1)',
          [`${prefix}_`],
        );
        await Promise.all(rows.map((r) => limit(() => drop(r.datname))));
      })();
      return dropping;
    },
    close: () => admin.end(),
  };
  return fleet;
}

/** Databases a crashed earlier bench left behind (`bench_<8 hex>_…`), for `--drop-stale`. */
export async function listStaleBenchDatabases(admin: pg.Pool, except: string): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string }>(
    "select datname from pg_database where datname ~ '^bench_[0-9a-f]{8}_'",
  );
  return rows.map((r) => r.datname).filter((d) => !d.startsWith(`${except}_`));
}
