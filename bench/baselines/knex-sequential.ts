import knexFactory from 'knex';

/**
 * A hand-written fleet script: one Node process, `knex.migrate.latest()` for each tenant in turn with
 * the configuration a knexfile would give. Runs in the bench process; migration modules are imported
 * once (Node's module cache), so this is the best case for that approach.
 */
export async function knexSequential(urls: readonly string[], migrationsDir: string): Promise<void> {
  for (const url of urls) {
    const knex = knexFactory({ client: 'pg', connection: url });
    try {
      await knex.migrate.latest({ directory: migrationsDir });
    } finally {
      await knex.destroy();
    }
  }
}
