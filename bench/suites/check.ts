import pg from 'pg';

/** After a run (outside the timed section): the last tenant must hold exactly `expected` history rows. */
export async function assertHistoryRows(url: string, expected: number, who: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'dbfleet-bench-check' });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from knex_migrations');
    if (rows[0]!.n !== expected)
      throw new Error(`${who}: expected ${expected} applied migrations, found ${rows[0]!.n}`);
  } finally {
    await client.end();
  }
}
