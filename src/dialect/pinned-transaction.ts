import type { Knex } from 'knex';

/**
 * dbfleet's own cheap transaction on a pinned knex (one connection): BEGIN, `fn`, COMMIT — or ROLLBACK
 * and rethrow. Only for transactions whose `trx` no user code sees (a .sql migration's script, the
 * history write, a cleanup batch): a migration module, hook or check always gets knex's own
 * `knex.transaction()`, because only that one is what knex hands a migration (its `batchInsert`,
 * `transacting` and nested transactions reach knex's transaction machinery through its context, which
 * this view does not replace).
 *
 * Why not knex's everywhere: every `knex.transaction()` builds a whole knex instance (a function with ~170
 * closures as own properties, a client clone, listeners) that lives exactly as long as the transaction.
 * That is long enough to survive young-generation GCs, so it is promoted and piles up in the old
 * generation until a full GC: thousands of cleanup batches per tenant would pay for it.
 *
 * `fn` gets the pinned knex seen as a transaction: `isTransaction` is true, a nested `transaction()` or
 * `savepoint()` is a SAVEPOINT, and `commit()`/`rollback()` refuse (the outcome is `fn`'s: return to commit,
 * throw to roll back). BEGIN/SAVEPOINT/RELEASE/ROLLBACK TO are the same in PostgreSQL and SQLite.
 *
 * Only for a session driven by one pipeline at a time, as dbfleet's tenant sessions are: anyone else's
 * query on the connection would land inside this transaction.
 */
export function runPinnedTransaction<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return runScoped(knex, fn, 0);
}

async function runScoped<T>(
  knex: Knex,
  fn: (trx: Knex.Transaction) => Promise<T>,
  depth: number,
): Promise<T> {
  if (typeof fn !== 'function') {
    throw new TypeError(
      'transaction(fn): pass the function to run; a transaction without one is not supported here',
    );
  }
  const savepoint = `dbfleet_savepoint_${depth}`;
  await knex.raw(depth === 0 ? 'begin' : `savepoint ${savepoint}`);
  let result: T;
  try {
    result = await fn(transactionView(knex, depth));
  } catch (err) {
    // A failed ROLLBACK (the connection is gone) must not hide why the transaction failed.
    await knex.raw(depth === 0 ? 'rollback' : `rollback to savepoint ${savepoint}`).catch(() => {});
    throw err;
  }
  await knex.raw(depth === 0 ? 'commit' : `release savepoint ${savepoint}`);
  return result;
}

function refuse(what: string): never {
  throw new Error(
    `${what}() is not supported inside a dbfleet transaction: return from the function to commit, throw to roll back`,
  );
}

function transactionView(knex: Knex, depth: number): Knex.Transaction {
  const nested = <T>(fn: (trx: Knex.Transaction) => Promise<T>) => runScoped(knex, fn, depth + 1);
  // knex's own code asks `client.transacting` whether it is inside a transaction: SQLite's table rebuild
  // (alter/drop column) then nests with a SAVEPOINT instead of a BEGIN that would fail, and leaves the
  // foreign_keys pragma alone. The flagged client shares the pinned one's pool, config and driver.
  const client = Object.create(knex.client) as Knex.Client & { transacting: boolean };
  client.transacting = true;
  // A Proxy, not a copy: knex's own methods reach `this.context` through it unchanged.
  return new Proxy(knex, {
    get(target, prop, receiver) {
      switch (prop) {
        case 'isTransaction':
          return true;
        case 'client':
          return client;
        case 'transaction':
        case 'savepoint':
          return nested;
        case 'commit':
        case 'rollback':
          return () => refuse(prop);
        // Its user cannot end it (above): it is completed only once `fn` has returned or thrown.
        case 'isCompleted':
          return () => false;
        default:
          return Reflect.get(target, prop, receiver);
      }
    },
  }) as Knex.Transaction;
}
