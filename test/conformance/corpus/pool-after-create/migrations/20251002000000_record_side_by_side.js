// Without a transaction, two transactions side by side: under knex each has a pool connection of its
// own, and afterCreate ran on both.
const { setting } = require('./20251001000000_record_session.js');

exports.config = { transaction: false };

exports.up = async (knex) => {
  await Promise.all(
    ['first', 'second'].map((name) =>
      knex.transaction(async (trx) => {
        await trx('seen').insert({ what: `${name} side-by-side transaction`, value: await setting(trx) });
      }),
    ),
  );
};

exports.down = async (knex) => {
  await knex('seen').where('what', 'like', '%side-by-side%').del();
};
