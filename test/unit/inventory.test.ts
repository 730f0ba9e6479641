import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { redact, withRedaction } from '../../src/core/redact.js';
import type { Tenant } from '../../src/core/tenant.js';
import { parseInventoryText, readInventoryFile } from '../../src/inventory/file.js';
import { loadInventory } from '../../src/inventory/load.js';
import { selectTenants } from '../../src/inventory/select.js';
import { validateInventory } from '../../src/inventory/validate.js';

/** Runs `fn`, asserts it throws a UsageError, returns it. */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a UsageError, nothing was thrown');
}

const pg = (id: string, db = id) => ({
  id,
  dialect: 'postgres',
  connection: `postgres://app@db1.example:5432/${db}`,
});

describe('validateInventory', () => {
  it('turns valid entries into tenants with a derived host and database', () => {
    const tenants = validateInventory(
      [
        {
          id: 'acme',
          dialect: 'postgres',
          connection: 'postgres://app:pw@db1.example:6543/acme',
          tags: ['eu', 'canary'],
        },
        {
          id: 'globex',
          dialect: 'postgres',
          connection: { host: 'db2.example', database: 'globex', user: 'app' },
          schema: 'globex',
        },
        { id: 'initech', dialect: 'sqlite', connection: 'tenants/initech.sqlite' },
      ],
      'test',
      '/srv/fleet',
    );
    assert.equal(tenants.length, 3);
    const [acme, globex, initech] = tenants as [Tenant, Tenant, Tenant];
    assert.equal(acme.host, 'postgres://db1.example:6543');
    assert.equal(acme.database, 'acme');
    assert.equal(acme.connection.port, 6543);
    assert.deepEqual(acme.tags, ['eu', 'canary']);
    assert.equal(globex.host, 'postgres://db2.example:5432');
    assert.equal(globex.schema, 'globex');
    assert.deepEqual(globex.tags, []);
    assert.equal(initech.dialect, 'sqlite');
    assert.equal(
      initech.database,
      '/srv/fleet/tenants/initech.sqlite',
      'relative SQLite paths resolve against baseDir',
    );
    assert.equal(initech.host, 'sqlite://localhost');
  });

  it('relative SQLite paths resolve against baseDir in the { filename } form too; :memory: is refused', () => {
    const [t] = validateInventory(
      [{ id: 'obj', dialect: 'sqlite', connection: { filename: 'data/obj.sqlite' } }],
      'test',
      '/srv/fleet',
    );
    assert.equal(t!.database, '/srv/fleet/data/obj.sqlite');
    assert.match(
      usageError(() =>
        validateInventory([{ id: 'm', dialect: 'sqlite', connection: ':memory:' }], 't', '/srv'),
      ).message,
      /:memory:/,
    );
  });

  it('SQLite paths come out normalized: dot segments, doubled and trailing slashes, sqlite: prefixes', () => {
    const paths = {
      plain: '/srv/fleet/a.sqlite',
      dots: '/srv/fleet/x/../b.sqlite',
      doubled: '/srv//fleet/./c.sqlite',
      trailing: '/srv/fleet/d.sqlite/',
      prefixed: 'sqlite:///srv/fleet/e.sqlite',
      relative: 'sqlite:f.sqlite',
      up: '../g.sqlite',
    };
    const tenants = validateInventory(
      Object.entries(paths).map(([id, connection]) => ({ id, dialect: 'sqlite', connection })),
      'test',
      '/srv/fleet',
    );
    assert.deepEqual(Object.fromEntries(tenants.map((t) => [t.id, t.database])), {
      plain: '/srv/fleet/a.sqlite',
      dots: '/srv/fleet/b.sqlite',
      doubled: '/srv/fleet/c.sqlite',
      trailing: '/srv/fleet/d.sqlite',
      prefixed: '/srv/fleet/e.sqlite',
      relative: '/srv/fleet/f.sqlite',
      up: '/srv/g.sqlite',
    });
    for (const t of tenants) assert.equal(t.connection.filename, t.database);
  });

  it('the host never carries credentials (it is shown and used as a map key)', () => {
    const [t] = validateInventory(
      [{ id: 'a', dialect: 'postgres', connection: 'postgres://u:hunter2pw@h:5432/a' }],
      'test',
    );
    assert.ok(!t!.host.includes('hunter2pw'));
    assert.ok(!t!.host.includes('u:'));
  });

  it('lists every problem at once: duplicates (also case-only), unknown dialect, missing and malformed connections', () => {
    const err = usageError(() =>
      validateInventory(
        [
          pg('acme'),
          pg('acme'),
          pg('Globex', 'globex'),
          pg('globex'),
          { id: 'oracle1', dialect: 'oracle', connection: 'oracle://x/y' },
          { id: 'noconn', dialect: 'postgres' },
          { id: 'badurl', dialect: 'postgres', connection: 'mysql://h/db' },
          { id: 'nodb', dialect: 'postgres', connection: { host: 'h' } },
          { id: 'mem', dialect: 'sqlite', connection: ':memory:' },
          { id: 'bad id!', dialect: 'postgres', connection: 'postgres://h/x' },
          'not an object',
          { id: 'sqlschema', dialect: 'sqlite', connection: 'a.sqlite', schema: 's' },
          { id: 'badtags', dialect: 'postgres', connection: 'postgres://h/t', tags: 'eu' },
        ],
        'inventory.json',
      ),
    );
    const problems = err.problems;
    const find = (re: RegExp) => problems.filter((p) => re.test(p));
    assert.equal(find(/duplicate id "acme"/).length, 1, problems.join('\n'));
    assert.equal(find(/"globex" differs only in case from "Globex"/).length, 1, problems.join('\n'));
    assert.equal(find(/oracle1.*unknown dialect "oracle"/).length, 1);
    assert.equal(find(/noconn.*missing connection/).length, 1);
    assert.equal(find(/badurl.*malformed connection.*postgres:\/\//).length, 1);
    assert.equal(find(/nodb.*malformed connection.*no database/).length, 1);
    assert.equal(find(/mem.*malformed connection.*:memory:/).length, 1);
    assert.equal(find(/entry 10.*id must be/).length, 1);
    assert.equal(find(/entry 11: must be an object/).length, 1);
    assert.equal(find(/sqlschema.*cannot use a schema/).length, 1);
    assert.equal(find(/badtags.*tags must be an array/).length, 1);
    assert.equal(problems.length, 11, problems.join('\n'));
    assert.match(err.message, /11 problem\(s\)/);
    // The message itself lists them too (the CLI prints it).
    for (const p of problems) assert.ok(err.message.includes(p));
  });

  // A typo in a key must not be ignored: `shema` would migrate a schema tenant in the shared database's
  // public schema, and every such tenant would report success. Two tenants in one place are refused too.
  it('an unknown key is a problem, with the key it is closest to; two tenants in one place are refused', () => {
    const err = usageError(() =>
      validateInventory(
        [
          { ...pg('a', 'shared'), shema: 'tenant_a' },
          { ...pg('b', 'shared'), tag: ['eu'] },
          { ...pg('c', 'shared'), schema: 'tenant_c' },
          { ...pg('d', 'shared'), schema: 'tenant_c' },
          { ...pg('e', 'other'), notes: 'x' },
          { id: 'f', dialect: 'sqlite', connection: 'tenants/f.sqlite' },
          { id: 'g', dialect: 'sqlite', connection: './tenants/../tenants/f.sqlite' },
        ],
        'inventory.json',
        '/fleet',
      ),
    );
    assert.deepEqual(err.problems, [
      'tenant "a" (entry 1): unknown key "shema" (did you mean "schema"?)',
      'tenant "b" (entry 2): unknown key "tag" (did you mean "tags"?)',
      'tenant "d" (entry 4): the same database and schema as tenant "c"',
      'tenant "e" (entry 5): unknown key "notes"',
      'tenant "g" (entry 7): the same database as tenant "f"',
    ]);
  });

  // Spelled differently, one database passed as two tenants: each backed up, migrated and — one failing its
  // smoke check — restored under the other's reported success.
  it('the loopback server under two names, and a SQLite file through a symlink, are one place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbfleet-inventory-same-'));
    try {
      writeFileSync(join(dir, 'x.sqlite'), '');
      symlinkSync(join(dir, 'x.sqlite'), join(dir, 'link.sqlite'));
      const err = usageError(() =>
        validateInventory(
          [
            { id: 'a', dialect: 'postgres', connection: 'postgres://u@localhost:5432/app' },
            { id: 'b', dialect: 'postgres', connection: 'postgres://u@127.0.0.1:5432/app' },
            { id: 'c', dialect: 'postgres', connection: { host: '::1', port: 5432, database: 'app' } },
            { id: 'd', dialect: 'postgres', connection: 'postgres://u@127.0.0.1:5433/app' },
            { id: 'e', dialect: 'sqlite', connection: 'x.sqlite' },
            { id: 'f', dialect: 'sqlite', connection: 'link.sqlite' },
          ],
          'inventory.json',
          dir,
        ),
      );
      assert.deepEqual(err.problems, [
        'tenant "b" (entry 2): the same database as tenant "a"',
        'tenant "c" (entry 3): the same database as tenant "a"',
        'tenant "f" (entry 6): the same database as tenant "e"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an empty inventory is a usage error', () => {
    assert.match(usageError(() => validateInventory([], 'inv.json')).message, /empty/);
  });

  it('something that is not an array is a usage error', () => {
    usageError(() => validateInventory({ id: 'a' }, 'inv.json'));
  });

  it("registers passwords in the run's redaction scope, also URL-encoded", () =>
    withRedaction(() => {
      validateInventory(
        [
          { id: 'p1', dialect: 'postgres', connection: 'postgres://u:Sq%40ueak9Pw@h:5432/p1' },
          {
            id: 'p2',
            dialect: 'postgres',
            connection: { host: 'h', database: 'p2', password: 'ObjPassw0rd' },
          },
        ],
        'test',
      );
      assert.equal(redact('driver said: bad password Sq@ueak9Pw'), 'driver said: bad password ***');
      assert.equal(redact('x ObjPassw0rd y'), 'x *** y');
    }));
});

describe('inventory files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-inv-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file with a BOM and CRLF line endings', () => {
    const file = join(dir, 'bom-crlf.json');
    const json = JSON.stringify(
      [pg('acme'), { id: 'beta', dialect: 'sqlite', connection: 'beta.sqlite', tags: ['canary'] }],
      null,
      2,
    );
    writeFileSync(file, `\uFEFF${json.replace(/\n/g, '\r\n')}\r\n`);
    const tenants = readInventoryFile(file);
    assert.deepEqual(
      tenants.map((t) => t.id),
      ['acme', 'beta'],
    );
    assert.equal(
      tenants[1]!.database,
      join(dir, 'beta.sqlite'),
      'relative SQLite paths resolve against the file folder',
    );
  });

  it('accepts the { "tenants": [...] } form', () => {
    const file = join(dir, 'wrapped.json');
    writeFileSync(file, JSON.stringify({ tenants: [pg('a'), pg('b')] }));
    assert.deepEqual(
      readInventoryFile(file).map((t) => t.id),
      ['a', 'b'],
    );
    assert.equal(parseInventoryText('{"tenants":[]}', 'x').length, 0);
  });

  it('invalid JSON, a missing file and a non-array are usage errors naming the file', () => {
    assert.match(
      usageError(() => parseInventoryText('[{', 'inv.json')).message,
      /inv\.json is not valid JSON/,
    );
    assert.match(usageError(() => parseInventoryText('{"x":1}', 'inv.json')).message, /inv\.json/);
    assert.match(
      usageError(() => readInventoryFile(join(dir, 'nope.json'))).message,
      /cannot read the inventory .*ENOENT/,
    );
  });

  it('a file with problems reports all of them, naming the file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([pg('a'), pg('A'), { id: 'x', dialect: 'db2', connection: 'y' }]));
    const err = usageError(() => readInventoryFile(file));
    assert.equal(err.problems.length, 2);
    assert.ok(err.message.includes(file));
  });

  it('loadInventory takes a list, a file, or a function; none is a usage error', async () => {
    const file = join(dir, 'load.json');
    writeFileSync(file, JSON.stringify([pg('f1')]));
    assert.deepEqual(
      (await loadInventory([pg('l1')] as never)).map((t) => t.id),
      ['l1'],
    );
    assert.deepEqual(
      (await loadInventory({ file: 'load.json' }, dir)).map((t) => t.id),
      ['f1'],
    );
    assert.deepEqual(
      (await loadInventory(async () => [pg('fn1')] as never)).map((t) => t.id),
      ['fn1'],
    );
    await assert.rejects(loadInventory(undefined), UsageError);
  });
});

describe('selectTenants', () => {
  const all = validateInventory(
    [
      { ...pg('acme'), tags: ['eu', 'canary'] },
      { ...pg('globex'), tags: ['us'] },
      { ...pg('initech'), tags: ['eu'] },
      pg('umbrella'),
    ],
    'test',
  );
  const ids = (ts: Tenant[]) => ts.map((t) => t.id);

  it('selects everything by default', () => {
    assert.deepEqual(ids(selectTenants(all)), ['acme', 'globex', 'initech', 'umbrella']);
  });

  it('--tenant picks ids; an unknown id is a usage error naming it', () => {
    assert.deepEqual(ids(selectTenants(all, { tenant: ['globex', 'acme'] })), ['acme', 'globex']);
    const err = usageError(() => selectTenants(all, { tenant: ['acme', 'acmee'] }));
    assert.match(err.message, /acmee/);
    assert.doesNotMatch(err.message, /acme,/);
  });

  it('--tag keeps tenants with any of the tags', () => {
    assert.deepEqual(ids(selectTenants(all, { tag: ['eu'] })), ['acme', 'initech']);
    assert.deepEqual(ids(selectTenants(all, { tag: ['canary', 'us'] })), ['acme', 'globex']);
  });

  it('--exclude removes ids; an unknown excluded id is a usage error too', () => {
    assert.deepEqual(ids(selectTenants(all, { exclude: ['globex'] })), ['acme', 'initech', 'umbrella']);
    assert.deepEqual(ids(selectTenants(all, { tag: ['eu'], exclude: ['acme'] })), ['initech']);
    assert.match(usageError(() => selectTenants(all, { exclude: ['nobody'] })).message, /nobody/);
  });

  // `--tag eu --tag canray` (a typo) selected the eu tenants alone: the ones meant were silently left out.
  it('a tag no tenant carries is a usage error naming it, also beside one that matches', () => {
    const err = usageError(() => selectTenants(all, { tag: ['eu', 'canray'] }));
    assert.equal(err.message, 'unknown tag(s): canray — no tenant in the inventory carries it');
  });

  it('a selection matching nothing is a usage error', () => {
    usageError(() => selectTenants(all, { tag: ['apac'] }));
    usageError(() => selectTenants(all, { tenant: ['acme'], exclude: ['acme'] }));
  });
});
