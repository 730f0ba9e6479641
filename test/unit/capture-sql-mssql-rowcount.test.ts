// knex's SQL Server update and delete end in `select @@rowcount`, and knex reads the count from the first
// row of the answer (`response[0]['']`). plan --sql answers every query as an empty database would: for
// these that is one row holding 0, not no rows — knex failed with "Cannot read properties of undefined".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANSWERED_EMPTY } from '../../src/migration/derivation-notes.js';
import { capture, moduleMigration } from '../helpers/capture-migrations.js';

describe('plan --sql of a SQL Server update or delete', () => {
  it('derives the statements and hands the migration the count an empty table gives (0), unmarked', async () => {
    const counts: unknown[] = [];
    const writes = moduleMigration('001_backfill.js', async (knex) => {
      counts.push(await knex('users').update({ locale: 'en' }).whereNull('locale'));
      counts.push(await knex('sessions').where('expired', true).del());
      await knex.transaction(async (trx) => {
        counts.push(await trx('users').increment('visits', 1));
      });
    });
    const sql = await capture('mssql', writes);
    assert.deepEqual(counts, [0, 0, 0]);
    const statements = sql.filter((s) => s !== ANSWERED_EMPTY);
    assert.match(statements.join('\n'), /update \[users\] set \[locale\]/i);
    assert.match(statements.join('\n'), /delete from \[sessions\]/i);
    assert.match(statements.join('\n'), /\[visits\] = \[visits\] \+ /i);
    assert.ok(!sql.includes(ANSWERED_EMPTY), `a write's row count is not a read:\n${sql.join('\n')}`);
  });
});
