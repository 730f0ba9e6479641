// The lowest floor for migrate, run as its own plain-Node process: per tenant, connect, send the whole
// floor SQL file as one simple-query message (one round trip for every statement), disconnect —
// `concurrency` tenants at a time. No process per tenant, no per-statement round trips.
// Usage: node apply-sql.mjs <inventory.json> <file.sql> <concurrency>
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [inventoryFile, sqlFile, concurrencyArg] = process.argv.slice(2);
const tenants = JSON.parse(readFileSync(inventoryFile, 'utf8'));
const sql = readFileSync(sqlFile, 'utf8');
let next = 0;
async function worker() {
  while (next < tenants.length) {
    const tenant = tenants[next++];
    const client = new pg.Client({
      connectionString: tenant.connection,
      application_name: 'dbfleet-bench-floor',
    });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
