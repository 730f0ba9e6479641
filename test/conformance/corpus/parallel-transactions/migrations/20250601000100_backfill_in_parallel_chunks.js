// A backfill in parallel chunks, each its own transaction; chunk 2 fails and is rolled back alone, the
// others commit. Then a transaction held open while the migration counts through `knex` outside it: that
// count comes from another connection and must not see the open transaction's row.
exports.config = { transaction: false };

exports.up = async (knex) => {
  const chunk = (n) =>
    knex.transaction(async (trx) => {
      await trx('items').insert({ chunk: n, step: 1 });
      await trx.raw('select pg_sleep(0.05)');
      if (n === 2) throw new Error('chunk 2 rejected');
      await trx('items').insert({ chunk: n, step: 2 });
    });
  const results = await Promise.allSettled([1, 2, 3].map(chunk));
  await knex('seen').insert({
    what: 'chunks committed',
    count: results.filter((r) => r.status === 'fulfilled').length,
  });

  const trx = await knex.transaction();
  await trx('items').insert({ chunk: 9, step: 1 });
  const [{ count }] = await knex('items').where({ chunk: 9 }).count({ count: '*' });
  await trx.rollback();
  await knex('seen').insert({ what: 'open transaction row seen outside it', count: Number(count) });
};

exports.down = async (knex) => {
  await knex('seen').del();
  await knex('items').del();
};
