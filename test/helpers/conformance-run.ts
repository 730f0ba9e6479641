// Drives one corpus case: every step by knex's CLI on one database and by dbfleet's CLI on two tenants,
// then compares outcome, schema, history, data, `knex migrate:list` and what the migrations observed.
// Differences are collected, not thrown at the first one, so a failing case shows all of them at once.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TenantInput } from '../../src/index.js';
import {
  dbfleetCli,
  type JsonReport,
  knexCli,
  normalizeMigrateList,
  type ProcessResult,
  parseReport,
} from './conformance-cli.js';
import type { ConformanceCase, DialectKey, Step } from './conformance-corpus.js';
import type { HistoryLocation, Observation, Snapshot } from './conformance-snapshot.js';

/**
 * dbfleet migrates a fleet of this many tenants per case, at once (what a migration keeps between tenants
 * shows with two); knex one database. Three until CI's 20 minutes grew tight.
 */
export const FLEET_SIZE = 2;

export interface ConformanceTarget {
  dialect: DialectKey;
  /** Creates the case's databases: one for knex, FLEET_SIZE for dbfleet's tenants. */
  prepare(c: ConformanceCase): Promise<{ knexDb: string; tenantDbs: string[] }>;
  knexEnv(db: string): Record<string, string>;
  tenant(id: string, db: string): TenantInput;
  snapshot(db: string, history: HistoryLocation): Promise<Snapshot>;
  observations(db: string): Promise<Observation[]>;
  /** The password both tools were given, if any: dbfleet must not show it to a migration. */
  secret?: string;
}

/** What a side did in a step: whether it succeeded, and everything it said (to find the error in). */
interface Outcome {
  ok: boolean;
  text: string;
  perTenant?: JsonReport['tenants'];
}

function describeStep(step: Step): string {
  if (step.kind === 'up') return `up to ${step.name}`;
  return step.kind;
}

const knexArgs = (step: Step): string[] =>
  step.kind === 'up'
    ? ['migrate:up', step.name]
    : step.kind === 'latest'
      ? ['migrate:latest']
      : ['migrate:rollback', '--all'];

function knexOutcome(result: ProcessResult): Outcome {
  return { ok: result.code === 0, text: `exit ${result.code}\n${result.stdout}\n${result.stderr}` };
}

/**
 * `batches`: how many batches the case's migrate steps made on dbfleet's tenants. `rollback-all` runs
 * `rollback` that many times, not once more to see nothing is left: the snapshot that follows compares
 * the history and schema with knex's database, rolled back --all, and so finds anything left over.
 */
async function dbfleetStep(
  step: Step,
  common: string[],
  env: Record<string, string>,
  cwd: string,
  batches: number,
) {
  if (step.kind !== 'rollback-all') {
    const args = ['migrate', ...common, ...(step.kind === 'up' ? ['--to', step.name] : [])];
    const report = parseReport(await dbfleetCli(args, env, cwd));
    return { ok: report.ok, text: JSON.stringify(report), perTenant: report.tenants };
  }
  // dbfleet rolls back one batch per run: repeat until no tenant has anything left to roll back.
  let last: JsonReport | undefined;
  for (let round = 0; round < Math.max(batches, 1); round++) {
    last = parseReport(await dbfleetCli(['rollback', ...common], env, cwd));
    if (!last.ok || last.tenants.every((t) => (t.applied ?? []).length === 0)) break;
  }
  return { ok: last!.ok, text: JSON.stringify(last), perTenant: last!.tenants };
}

function checkOutcome(step: Step, knex: Outcome, dbfleet: Outcome): void {
  const fails = step.kind === 'rollback-all' ? undefined : step.fails;
  // A dbfleet that crashed or printed no report has no tenants: that is a difference, never a pass.
  assert.equal(dbfleet.perTenant?.length, FLEET_SIZE, `dbfleet must report every tenant:\n${dbfleet.text}`);
  if (fails === undefined) {
    assert.ok(knex.ok, `knex's own CLI failed (a corpus problem, not dbfleet's):\n${knex.text}`);
    const bad = (dbfleet.perTenant ?? []).filter((t) => t.status !== 'succeeded');
    assert.deepEqual(
      bad.map((t) => `${t.id}: ${t.status} ${t.error?.code ?? ''} ${t.error?.message ?? ''}`.trim()),
      [],
      'knex succeeded, so every dbfleet tenant must',
    );
    return;
  }
  assert.ok(!knex.ok && knex.text.includes(fails), `knex must fail with "${fails}":\n${knex.text}`);
  assert.equal(dbfleet.ok, false, 'knex failed, so dbfleet must report the failure');
  for (const t of dbfleet.perTenant ?? []) {
    assert.equal(t.status, 'failed', `${t.id} must fail as knex did`);
    assert.ok(t.error?.message.includes(fails), `${t.id} must fail with "${fails}": ${t.error?.message}`);
  }
}

/** knex shows the password to a migration, dbfleet must not; everything else must be the same. */
function observationChecks(
  knex: Observation[],
  tenant: Observation[],
  secret: string | undefined,
): [string, () => void][] {
  const where = (o: Observation) => ({
    host: o.connection.host,
    port: o.connection.port,
    user: o.connection.user,
    database: o.connection.database === undefined ? undefined : '(its own)',
  });
  return [
    [
      'what each migration saw of knex',
      () =>
        assert.deepEqual(
          tenant.map((o) => ({ label: o.label, seen: o.seen })),
          knex.map((o) => ({ label: o.label, seen: o.seen })),
        ),
    ],
    ['the connection a migration sees', () => assert.deepEqual(tenant.map(where), knex.map(where))],
    [
      'no password',
      () => {
        if (secret === undefined || knex.length === 0) return;
        assert.ok(
          knex.every((o) => o.connection.password === secret),
          'the probe works: knex hands migrations the password',
        );
        for (const o of tenant) {
          assert.ok(
            !JSON.stringify(o).includes(secret),
            `dbfleet must not hand a migration the password (${o.label}): ${JSON.stringify(o.connection)}`,
          );
        }
      },
    ],
  ];
}

export async function runConformanceCase(
  target: ConformanceTarget,
  c: ConformanceCase,
  workDir: string,
): Promise<string[]> {
  const dir = mkdtempSync(join(workDir, `${c.folder}-`));
  const { knexDb, tenantDbs } = await target.prepare(c);
  const inventory = join(dir, 'tenants.json');
  writeFileSync(
    inventory,
    JSON.stringify(tenantDbs.map((db, i) => target.tenant(`${c.folder}-${i + 1}`, db))),
  );
  const common = ['--config', c.knexfile, '--tenants', inventory, '--journal', join(dir, 'journal.db')];
  const knexEnv = target.knexEnv(knexDb);
  // The knexfile reads its connection from the environment even when dbfleet loads it (and ignores it).
  const dbfleetEnv = target.knexEnv(tenantDbs[0]!);
  const history = c.history(target.dialect);
  const differences: string[] = [];
  const check = (label: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      differences.push(`${label}: ${(err as Error).message}`);
    }
  };

  const lastMigrateStep = c.steps.findLastIndex((step) => step.kind !== 'rollback-all');
  let batches = 0;
  for (const [index, step] of c.steps.entries()) {
    const label = `${c.folder} on ${target.dialect}, step ${index + 1} (${describeStep(step)})`;
    const [knex, dbfleet] = await Promise.all([
      knexCli(c.knexfile, knexArgs(step), knexEnv).then(knexOutcome),
      dbfleetStep(step, common, dbfleetEnv, dir, batches).catch(
        (err: Error): Outcome => ({ ok: false, text: err.message, perTenant: [] }),
      ),
    ]);
    if (step.kind === 'rollback-all') batches = 0;
    else if (dbfleet.perTenant?.some((t) => (t.applied ?? []).length > 0)) batches++;
    check(`${label}, outcome`, () => checkOutcome(step, knex, dbfleet));

    const [expected, ...actual] = await Promise.all(
      [knexDb, ...tenantDbs].map((db) => target.snapshot(db, history)),
    );
    for (const [i, snapshot] of actual.entries()) {
      check(`${label}, tenant ${i + 1} against knex's database`, () => assert.deepEqual(snapshot, expected));
    }

    // Once per case, after its last migrate step (a knex process costs ~0.4 s of CPU on a 2-core box).
    if (index === lastMigrateStep) {
      const [knexList, tenantList] = await Promise.all([
        knexCli(c.knexfile, ['migrate:list'], knexEnv),
        knexCli(c.knexfile, ['migrate:list'], target.knexEnv(tenantDbs[0]!)),
      ]);
      check(`${label}, knex migrate:list on dbfleet's tenant 1`, () =>
        assert.deepEqual(
          { code: tenantList.code, out: normalizeMigrateList(tenantList.stdout + tenantList.stderr) },
          { code: knexList.code, out: normalizeMigrateList(knexList.stdout + knexList.stderr) },
        ),
      );
    }

    const [knexSaw, ...tenantsSaw] = await Promise.all(
      [knexDb, ...tenantDbs].map((db) => target.observations(db)),
    );
    tenantsSaw.forEach((saw, i) => {
      for (const [what, fn] of observationChecks(knexSaw!, saw, target.secret))
        check(`${label}, tenant ${i + 1}: ${what}`, fn);
    });
  }
  return differences;
}
