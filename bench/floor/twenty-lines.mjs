// The no-op floor a user could write in twenty lines: one Node process with `pg`, 8 tenants
// at a time, each `connect`, `select name from knex_migrations order by id`, `end`. Nothing else: no
// application_name, no timeouts, no checksum table — the least any tool must do to say "up to date".
// Usage: node twenty-lines.mjs <inventory.json> [concurrency = 8]
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [inventoryFile, concurrency = '8'] = process.argv.slice(2);
const tenants = JSON.parse(readFileSync(inventoryFile, 'utf8'));
let next = 0;
let rows = 0;
async function worker() {
  while (next < tenants.length) {
    const client = new pg.Client(tenants[next++].connection);
    await client.connect();
    // Awaited first: `rows += await …` reads `rows` before the await and loses the other workers' counts.
    const { rowCount } = await client.query('select name from knex_migrations order by id');
    rows += rowCount;
    await client.end();
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
process.stdout.write(`${JSON.stringify({ tenants: tenants.length, rows })}\n`);
