// What a migration sees of the knex it is handed, as a row of `observations`. A class where knex has a
// string is written as "function:<name>" (JSON.stringify would silently drop it).
function plain(value) {
  return JSON.parse(
    JSON.stringify(value ?? null, (_key, v) => (typeof v === 'function' ? `function:${v.name}` : v)),
  );
}

export function observe(knex, label) {
  const client = knex.client;
  return {
    label,
    seen: JSON.stringify({
      client: plain(client.config.client),
      dialect: plain(client.dialect),
      driverName: plain(client.driverName),
      userParams: plain(knex.userParams),
      isTransaction: plain(knex.isTransaction),
      migrations: plain(client.config.migrations),
      searchPath: plain(client.config.searchPath),
    }),
    // Kept apart: knex hands migrations the password (a property JSON does not show), dbfleet must not.
    connection: JSON.stringify({
      ...plain(client.config.connection),
      password: client.config.connection?.password ?? null,
    }),
  };
}
