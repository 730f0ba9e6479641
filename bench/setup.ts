import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeKnexfile } from './baselines/knex-cli.js';
import { knexSequential } from './baselines/knex-sequential.js';
import { runDbfleet } from './dbfleet-cli.js';
import { schemaFingerprint } from './equivalence.js';
import { dbUrl } from './fleet.js';
import { psqlFloor } from './floor/psql.js';
import { type FloorScript, writeFloorScript } from './floor-sql.js';
import type { BenchContext } from './types.js';

export interface Prepared {
  floor: FloorScript;
  knexfile: string;
  templates: BenchContext['templates'];
}

/**
 * Once per bench: the floor's SQL file, the knex CLI's knexfile, and two template databases — empty (for
 * migrate runs) and migrated by dbfleet (for no-op and backup runs). Then a guard: psql's floor script
 * and knex must leave the exact schema dbfleet leaves, or the comparison would be between different work.
 */
export async function prepare(
  ctx: Pick<BenchContext, 'fleet' | 'workDir' | 'migrationsDir' | 'log' | 'concurrency'>,
): Promise<Prepared> {
  const { fleet, workDir, migrationsDir } = ctx;
  const floor = await writeFloorScript(migrationsDir, join(workDir, 'floor.sql'));
  const knexfile = writeKnexfile(workDir, migrationsDir);
  const templates = { empty: fleet.templateDb('empty'), migrated: fleet.templateDb('migrated') };
  await fleet.createEmpty(templates.empty);
  await fleet.createEmpty(templates.migrated);

  const inventory = join(workDir, 'inventory-template.json');
  writeFileSync(
    inventory,
    JSON.stringify([{ id: 'template', dialect: 'postgres', connection: dbUrl(templates.migrated) }]),
  );
  await runDbfleet('migrate', { inventory, migrations: migrationsDir, concurrency: 1, cwd: workDir });

  const viaPsql = fleet.templateDb('check_psql');
  const viaKnex = fleet.templateDb('check_knex');
  await fleet.createEmpty(viaPsql);
  await fleet.createEmpty(viaKnex);
  await psqlFloor([dbUrl(viaPsql)], floor.file, 1);
  await knexSequential([dbUrl(viaKnex)], migrationsDir);
  const expected = await schemaFingerprint(templates.migrated);
  for (const [who, db] of [
    ['psql floor', viaPsql],
    ['knex', viaKnex],
  ] as const) {
    if ((await schemaFingerprint(db)) !== expected) {
      throw new Error(
        `${who} does not produce the schema dbfleet produces: compare ${db} with ${templates.migrated}`,
      );
    }
    await fleet.drop(db);
  }
  ctx.log(
    `floor script: ${floor.migrations} migrations, ${floor.migrationStatements} migration statements, ${floor.totalStatements} statements with bookkeeping; psql, knex and dbfleet produce the same schema`,
  );
  return { floor, knexfile, templates };
}
