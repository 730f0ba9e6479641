import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The two migrations the rollback-twice tests upgrade with. Neither down tolerates a migration that is
 * not applied, so a second round of downs fails visibly; 001's down fails while a table `fail_down`
 * exists (a rollback that stops half-way).
 */
const MIGRATIONS = {
  '001_orders.js': `exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); });
exports.down = async (knex) => {
  if (await knex.schema.hasTable('fail_down')) throw new Error('told to fail');
  await knex.schema.dropTable('orders');
};`,
  '002_notes.js': `exports.up = (knex) => knex.schema.createTable('notes', (t) => { t.increments('id'); t.text('body'); });
exports.down = (knex) => knex.schema.dropTable('notes');`,
};

/** Writes them into `<dir>/migrations` and returns that folder. */
export function writeRollbackTwiceMigrations(dir: string): string {
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  for (const [name, text] of Object.entries(MIGRATIONS)) writeFileSync(join(migrations, name), text);
  return migrations;
}
