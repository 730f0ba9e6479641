// A migration module that no longer loads (a helper it requires was deleted after it was applied) stops
// only what knex's CLI would stop: knex loads just the files it is about to run. It loads marked invalid
// with the load error — the planner refuses it when pending — and running it (a rollback) fails with it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrationChecksum } from '../../src/migration/checksum.js';
import { loadMigrations } from '../../src/migration/loader.js';
import { describeProblem, planMigrations } from '../../src/migration/planner.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-unloadable-'));
after(() => rmSync(root, { recursive: true, force: true }));

const PLANS =
  "const { defaultPlans } = require('../lib/plans');\nexports.up = async () => defaultPlans;\nexports.down = async () => {};\n";
const PRICE = 'exports.up = async () => {};\nexports.down = async () => {};\n';

/** A CommonJS project whose first migration requires lib/plans.js, which is gone. */
async function load() {
  const dir = join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, 'package.json'), '{ "name": "app" }');
  writeFileSync(join(dir, '001_plans.js'), PLANS);
  writeFileSync(join(dir, '002_price.js'), PRICE);
  return loadMigrations(dir);
}

describe('a migration module that does not load', () => {
  it('loads marked invalid with the load error, its checksum its text’s', async () => {
    const [plans, price] = await load();
    assert.match(plans?.invalid ?? '', /^cannot be loaded: Cannot find module '\.\.\/lib\/plans'/);
    assert.equal(plans?.checksum, migrationChecksum(PLANS));
    assert.equal(price?.invalid, undefined);
  });

  it('blocks nothing once applied; refused with the load error when pending', async () => {
    const available = await load();
    const applied = { id: 1, name: '001_plans.js', batch: 1 };
    const recorded = new Map([['001_plans.js', migrationChecksum(PLANS)]]);
    const later = planMigrations({ available, applied: [applied], recorded });
    assert.deepEqual([later.pending, later.problems], [['002_price.js'], []]);
    const fresh = planMigrations({ available, applied: [], recorded: new Map() });
    assert.equal(fresh.problems.length, 1);
    assert.match(
      describeProblem(fresh.problems[0]!),
      /^invalid migration: 001_plans\.js cannot be loaded: Cannot find module '\.\.\/lib\/plans'/,
    );
  });

  it('running it, up or down, fails with the load error', async () => {
    const [plans] = await load();
    const ctx = { runScript: async () => {} };
    await assert.rejects(plans!.up({} as never, ctx), /Cannot find module '\.\.\/lib\/plans'/);
    await assert.rejects(plans!.down!({} as never, ctx), /Cannot find module '\.\.\/lib\/plans'/);
  });
});

// Node keeps a loaded module for the life of the process: a long-lived process (a service using dbfleet
// as a library) that loaded a migration, then loads it again after it was edited, ran the old code and
// recorded the new text's checksum. It now loads marked invalid, so a pending one is refused.
describe('a migration edited after this process loaded it', () => {
  it('loads marked invalid (a pending one is refused); the same text again loads as before', async () => {
    const dir = join(root, 'edited');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, '001_add.js');
    const v1 = 'exports.up = async () => "v1";\nexports.down = async () => {};\n';
    writeFileSync(file, v1);
    const [first] = await loadMigrations(dir);
    assert.equal(first?.invalid, undefined);

    writeFileSync(file, v1.replace('"v1"', '"v2"'));
    const [edited] = await loadMigrations(dir);
    assert.match(edited?.invalid ?? '', /changed since this process first loaded it/);
    const plan = planMigrations({ available: [edited!], applied: [], recorded: new Map() });
    assert.equal(plan.problems[0]?.kind, 'invalid');
    await assert.rejects(edited!.up({} as never, { runScript: async () => {} }), /restart the process/);

    writeFileSync(file, v1);
    const [back] = await loadMigrations(dir);
    assert.equal(back?.invalid, undefined, 'the text the process loaded runs as before');
  });
});
