// Every corpus project's knexfile reads its connection from the environment, as knexfiles usually do:
// the conformance suite points knex's CLI at one database per run this way.
//   CONFORMANCE_CLIENT   'pg' | 'better-sqlite3'
//   CONFORMANCE_DATABASE the PostgreSQL database name, or the SQLite file
//   CONFORMANCE_PG_HOST, CONFORMANCE_PG_PORT, CONFORMANCE_PG_USER, CONFORMANCE_PG_PASSWORD
function client() {
  const value = process.env.CONFORMANCE_CLIENT;
  if (value !== 'pg' && value !== 'better-sqlite3') throw new Error('set CONFORMANCE_CLIENT');
  return value;
}

function connection() {
  if (client() === 'better-sqlite3') return { filename: process.env.CONFORMANCE_DATABASE };
  return {
    host: process.env.CONFORMANCE_PG_HOST,
    port: Number(process.env.CONFORMANCE_PG_PORT),
    user: process.env.CONFORMANCE_PG_USER,
    password: process.env.CONFORMANCE_PG_PASSWORD,
    database: process.env.CONFORMANCE_DATABASE,
  };
}

module.exports = { client, connection };
