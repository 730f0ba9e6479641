// The upgrade's wave lines (non-TTY output) state what the wave came to: a wave whose tenants failed
// within the budget did not "pass", and a stop counts the failures and the tenants it kept from starting
// when the wave ended, not when the gate closed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventLine } from '../../src/cli/render/lines.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { UpgradeOperations } from '../../src/upgrade/types.js';
import { type UpgradeOptions, upgrade } from '../../src/upgrade/upgrade.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-wave-lines-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fleet(n: number, canaries: number[] = []): Tenant[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `t${i}`;
    writeFileSync(join(dir, `${id}.sqlite`), '');
    return {
      id,
      dialect: 'sqlite' as const,
      connection: { filename: join(dir, `${id}.sqlite`) },
      host: `h${i}`, // own hosts: two run at once under --concurrency 2
      database: join(dir, `${id}.sqlite`),
      tags: canaries.includes(i) ? ['canary'] : [],
    };
  });
}

/**
 * `failing` tenants fail their migration; the others apply one. `together`: that many migrations wait for
 * each other, so all of them have started before the first failure closes the gate.
 */
function ops(failing: string[], together = 1): UpgradeOperations {
  let arrived = 0;
  let release = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    backup: async (ctx, label) => ({
      path: `/b/${ctx.tenant.id}/${label}.dump`,
      bytes: 1,
      sha256: 'x',
      fingerprint: { level: 'schema', schemaHash: label, objects: {}, tables: {} },
    }),
    verify: async () => ({ verified: 'light' }),
    migrate: async (ctx) => {
      if (++arrived >= together) release();
      await all;
      return failing.includes(ctx.tenant.id)
        ? { applied: [], current: null, error: { code: 'MIGRATION_FAILED', message: 'boom' } }
        : { applied: ['m1'], current: 'm1' };
    },
    optimize: async () => ({ optimizations: [] }),
    restore: async () => {},
    down: async () => {},
  };
}

async function waveLines(
  options: Omit<UpgradeOptions, 'journal' | 'operations'>,
  failing: string[],
  together = 1,
) {
  const events: FleetEvent[] = [];
  let n = 0;
  await upgrade({
    concurrency: 1,
    ...options,
    operations: ops(failing, together),
    journal: join(dir, `journal-${Date.now()}-${++n}.db`),
    onEvent: (e) => events.push(e),
  });
  return events.filter((e) => e.type === 'wave:done').map((e) => eventLine(e));
}

describe('upgrade wave lines', () => {
  it('a wave whose only tenant failed within the budget says so, not "passed"', async () => {
    const lines = await waveLines(
      { tenants: fleet(4, [0]), canary: 'canary', waves: '1,rest', maxFailures: 2 },
      ['t1'],
    );
    assert.deepEqual(lines, [
      'wave 1 passed',
      'wave 2: 1 failed, within the failure budget (2); continuing',
      'wave 3 passed',
    ]);
  });

  it('a stop counts every failure and says nothing was left to start when nothing was', async () => {
    const lines = await waveLines({ tenants: fleet(2), concurrency: 2 }, ['t0', 't1'], 2);
    assert.deepEqual(lines, [
      'wave 1: 2 failed, more than the failure budget (0); no tenant was left to start',
    ]);
  });

  it('a stop counts the tenants of this wave and of later waves it kept from starting', async () => {
    const lines = await waveLines({ tenants: fleet(6), waves: '3,rest' }, ['t0']);
    assert.deepEqual(lines, [
      'wave 1: 1 failed, more than the failure budget (0); stopped: 5 tenant(s) not started (2 of this wave, 3 of later waves)',
    ]);
  });

  it('failures of earlier waves are counted for the budget and said', async () => {
    const lines = await waveLines({ tenants: fleet(4), waves: '2,rest', maxFailures: 1 }, ['t0', 't2']);
    assert.deepEqual(lines, [
      'wave 1: 1 failed, within the failure budget (1); continuing',
      'wave 2: 1 failed (2 in the run), more than the failure budget (1); stopped: 1 tenant(s) not started (1 of this wave)',
    ]);
  });

  it('a failed canary is the reason, whatever the budget', async () => {
    const lines = await waveLines({ tenants: fleet(4, [0]), canary: 'canary', maxFailures: 3 }, ['t0']);
    assert.deepEqual(lines, [
      'wave 1: 1 failed, a canary failed; stopped: 3 tenant(s) not started (3 of later waves)',
    ]);
  });
});
