// The no-op floor, run as its own plain-Node process (no TypeScript loader, no framework): connect to each
// tenant database, read knex's history table, disconnect — `concurrency` tenants at a time.
// Usage: node read-history.mjs <inventory.json> <concurrency>
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [inventoryFile, concurrencyArg] = process.argv.slice(2);
const tenants = JSON.parse(readFileSync(inventoryFile, 'utf8'));
let next = 0;
let rows = 0;
async function worker() {
  while (next < tenants.length) {
    const tenant = tenants[next++];
    const client = new pg.Client({
      connectionString: tenant.connection,
      application_name: 'dbfleet-bench-floor',
    });
    await client.connect();
    try {
      rows += (await client.query('select id, name, batch from knex_migrations order by id')).rowCount;
    } finally {
      await client.end();
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
process.stdout.write(`${JSON.stringify({ tenants: tenants.length, rows })}\n`);
