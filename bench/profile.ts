// `node --import tsx bench/profile.ts [--n 8] [--concurrency 4] [--noop] [--status]`
// Where dbfleet's time goes per tenant: runs the library in-process on a few fresh databases, with knex's
// query path and connection setup wrapped to count and time every round trip by kind.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate, status, validateInventory } from '../src/index.js';
import { dbUrl, openBenchFleet } from './fleet.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    noop: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const concurrency = Number(values.concurrency);
const migrations = resolve(fileURLToPath(new URL('./migrations', import.meta.url)));

// The knex dbfleet imports is this one (one node_modules): patching its prototypes sees every query.
const require = createRequire(import.meta.url);
const Client = require('knex/lib/client.js') as {
  prototype: Record<string, (...args: unknown[]) => Promise<unknown>>;
};
const byKind = new Map<string, { count: number; ms: number }>();
const add = (kind: string, ms: number) => {
  const entry = byKind.get(kind) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += ms;
  byKind.set(kind, entry);
};
const kindOf = (sql: string) =>
  sql
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/'[^']*'/g, "'…'")
    .replace(/\$\d+/g, '?')
    .slice(0, 90);
for (const method of ['query', 'acquireRawConnection'] as const) {
  const original = Client.prototype[method]!;
  Client.prototype[method] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const sql = method === 'query' ? (args[1] as { sql?: string } | string) : undefined;
      add(
        method === 'query' ? kindOf(typeof sql === 'string' ? sql : (sql?.sql ?? '?')) : '(connect)',
        performance.now() - t0,
      );
    }
  };
}

const fleet = await openBenchFleet();
try {
  const template = fleet.templateDb('profile');
  await fleet.createEmpty(template);
  if (values.noop || values.status) {
    const [t] = validateInventory(
      [{ id: 'tpl', dialect: 'postgres', connection: dbUrl(template) }],
      'profile',
    );
    await migrate({ tenants: [t!], migrations });
  }
  await fleet.reset(n, template);
  byKind.clear();
  const tenants = validateInventory(
    Array.from({ length: n }, (_, i) => ({
      id: `t${i + 1}`,
      dialect: 'postgres',
      connection: dbUrl(fleet.tenantDb(i + 1)),
    })),
    'profile',
  );
  const t0 = performance.now();
  const report = values.status
    ? await status({ tenants, migrations, concurrency, perHost: concurrency })
    : await migrate({ tenants, migrations, concurrency, perHost: concurrency });
  const total = performance.now() - t0;
  const rows = [...byKind.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const queries = rows.filter(([k]) => k !== '(connect)').reduce((s, [, v]) => s + v.count, 0);
  console.log(
    `${values.status ? 'status' : values.noop ? 'no-op migrate' : 'migrate'} of ${n} tenants, concurrency ${concurrency}: ${total.toFixed(0)} ms, ok=${report.ok}`,
  );
  console.log(
    `round trips per tenant: ${(queries / n).toFixed(1)} queries + ${((byKind.get('(connect)')?.count ?? 0) / n).toFixed(1)} connects`,
  );
  console.log('count/tenant  total ms  mean ms  kind');
  for (const [kind, v] of rows) {
    console.log(
      `${(v.count / n).toFixed(1).padStart(12)}  ${v.ms.toFixed(0).padStart(8)}  ${(v.ms / v.count).toFixed(2).padStart(7)}  ${kind}`,
    );
  }
} finally {
  await fleet.dropAll();
  await fleet.close();
}
