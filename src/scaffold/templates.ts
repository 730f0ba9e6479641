/** The starter files `dbfleet init` writes, in the module format of the project they land in. */

export type ModuleFormat = 'esm' | 'cjs';

function exportDefault(format: ModuleFormat, body: string): string {
  return format === 'esm' ? `export default ${body};\n` : `module.exports = ${body};\n`;
}

/**
 * A knexfile as knex reads it (`knex migrate:latest` uses the same migrations block) plus dbfleet's
 * `inventory`: the one file both tools share.
 */
export function knexfileTemplate(format: ModuleFormat): string {
  return `// dbfleet reads this file (and so does knex: both see the same migrations folder and history table).
// Every key: README "Configuration". Check it with \`npx dbfleet status\`.
/** @type {import('dbfleet').FleetConfig} */
${exportDefault(
  format,
  `{
  // Where tenants come from: a JSON file here; also a list, a catalog query or server discovery.
  inventory: { file: './tenants.json' },
  migrations: { directory: './migrations' },
  // optimizations: './optimizations', // index builds, batched cleanup, statistics (optional)
  // checks: './checks',               // smoke checks an upgrade runs per tenant (optional)
  backups: './.dbfleet/backups',
  concurrency: 8, // tenants in flight
  perHost: 4, // sessions per database server
}`,
)}`;
}

export interface StarterTenant {
  id: string;
  dialect: 'sqlite' | 'postgres';
  connection: string;
  tags?: string[];
}

/** Two SQLite files under `tenants/`, or two databases on a local PostgreSQL to edit. */
export function starterTenants(dialect: 'sqlite' | 'postgres'): StarterTenant[] {
  if (dialect === 'sqlite') {
    return [
      { id: 'tenant-a', dialect, connection: 'tenants/tenant-a.sqlite', tags: ['canary'] },
      { id: 'tenant-b', dialect, connection: 'tenants/tenant-b.sqlite' },
    ];
  }
  return [
    { id: 'tenant-a', dialect, connection: 'postgres://postgres@127.0.0.1:5432/tenant_a', tags: ['canary'] },
    { id: 'tenant-b', dialect, connection: 'postgres://postgres@127.0.0.1:5432/tenant_b' },
  ];
}

/** A first knex migration, so `npx dbfleet migrate` has something to apply. */
export function firstMigrationTemplate(format: ModuleFormat): string {
  const up = `async function up(knex) {
  await knex.schema.createTable('accounts', (t) => {
    t.increments('id');
    t.string('email', 255).notNullable().unique();
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
}`;
  const down = `async function down(knex) {
  await knex.schema.dropTable('accounts');
}`;
  return format === 'esm'
    ? `// A knex migration: dbfleet applies it to every tenant, each in its own transaction.\nexport ${up}\n\nexport ${down}\n`
    : `// A knex migration: dbfleet applies it to every tenant, each in its own transaction.\nexports.up = ${up};\n\nexports.down = ${down};\n`;
}
