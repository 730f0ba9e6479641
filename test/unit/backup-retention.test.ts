import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { type BackupManifest, writeManifest } from '../../src/backup/manifest.js';
import { applyRetention, planRetention, type RetentionItem } from '../../src/backup/retention.js';

const at = (day: number) => `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
const item = (day: number, verified: boolean): RetentionItem => ({
  id: `b${day}`,
  createdAt: at(day),
  verified,
});

/** The plan's decisions, without its reasons. */
const decided = (items: readonly RetentionItem[], keep: number) => {
  const { keep: kept, delete: deleted } = planRetention(items, keep);
  return { keep: kept, delete: deleted };
};

describe('planRetention', () => {
  it('keeps the newest n verified backups and deletes older ones', () => {
    const items = [item(1, true), item(2, true), item(3, true), item(4, true)];
    assert.deepEqual(decided(items, 2), { keep: ['b4', 'b3'], delete: ['b2', 'b1'] });
  });

  it('does not count unverified backups towards n, and keeps those newer than the kept ones', () => {
    const items = [item(1, true), item(2, true), item(3, false), item(4, true), item(5, false)];
    assert.deepEqual(decided(items, 2), { keep: ['b5', 'b4', 'b3', 'b2'], delete: ['b1'] });
  });

  it('never deletes the last verified backup when every newer one failed verification', () => {
    const items = [item(1, true), item(2, false), item(3, false), item(4, false)];
    assert.deepEqual(decided(items, 1), { keep: ['b4', 'b3', 'b2', 'b1'], delete: [] });
  });

  it('deletes nothing when no backup is verified', () => {
    const items = [item(1, false), item(2, false)];
    assert.deepEqual(decided(items, 1).delete, []);
  });

  it('rejects keep < 1', () => {
    assert.throws(() => planRetention([], 0), RangeError);
    assert.throws(() => planRetention([], 1.5), RangeError);
  });

  it('property: keeps min(n, verified) verified backups, including the newest verified, and deletes only older ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ day: fc.integer({ min: 1, max: 28 }), verified: fc.boolean() }), {
          maxLength: 15,
        }),
        fc.integer({ min: 1, max: 5 }),
        (raw, keep) => {
          const items = raw.map((r, i) => ({ id: `b${i}`, createdAt: at(r.day), verified: r.verified }));
          const plan = planRetention(items, keep);
          assert.equal(plan.keep.length + plan.delete.length, items.length);
          const byId = new Map(items.map((i) => [i.id, i]));
          const verified = items.filter((i) => i.verified);
          const keptVerified = plan.keep.filter((id) => byId.get(id)?.verified);
          assert.equal(keptVerified.length, Math.min(keep, verified.length));
          if (verified.length > 0) {
            const newest = [...verified].sort((a, b) =>
              a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
            )[0]!;
            assert.ok(plan.keep.includes(newest.id));
          } else assert.deepEqual(plan.delete, []);
          const oldestKept = Math.min(...plan.keep.map((id) => Date.parse(byId.get(id)!.createdAt)));
          for (const id of plan.delete) assert.ok(Date.parse(byId.get(id)!.createdAt) <= oldestKept);
        },
      ),
    );
  });
});

describe('planRetention: the backup just written', () => {
  it('is kept, and counts as the newest, when an older backup claims a later createdAt (a clock ahead)', () => {
    const items = [item(1, true), item(9, true), { ...item(5, true), current: true }];
    assert.deepEqual(decided(items, 1), { keep: ['b5'], delete: ['b9', 'b1'] });
  });

  it('is kept unverified (verify none), and so is what it needs to keep n verified', () => {
    const items = [item(1, true), item(2, true), { ...item(3, false), current: true }];
    assert.deepEqual(decided(items, 1), { keep: ['b3', 'b2'], delete: ['b1'] });
  });
});

describe("planRetention: the tenant's newest pre-upgrade backup", () => {
  const pre = (day: number, run: string): RetentionItem => ({ ...item(day, true), preUpgradeOf: run });

  it("is kept beyond n, saying why; an older run's pre-upgrade backup ages out like any other", () => {
    const items = [
      pre(1, 'r1'),
      item(2, true),
      pre(3, 'r3'),
      item(4, true),
      { ...item(5, true), current: true },
    ];
    const plan = planRetention(items, 1);
    assert.deepEqual(
      { keep: plan.keep, delete: plan.delete },
      { keep: ['b5', 'b3'], delete: ['b4', 'b2', 'b1'] },
    );
    assert.equal(plan.why.b5, 'the backup just written');
    assert.match(plan.why.b3 ?? '', /pre-upgrade backup of upgrade run r3/);
  });

  it('costs nothing extra when it is among the newest n anyway', () => {
    const items = [item(1, true), pre(2, 'r2'), item(3, true)];
    const plan = planRetention(items, 2);
    assert.deepEqual(plan.keep, ['b3', 'b2']);
    assert.equal(plan.why.b2, 'one of the newest 2 verified');
  });

  it('is kept unverified too (the run verifies it after writing its manifest)', () => {
    const items = [item(1, true), { ...pre(2, 'r2'), verified: false }, { ...item(3, true), current: true }];
    assert.deepEqual(decided(items, 1), { keep: ['b3', 'b2'], delete: ['b1'] });
  });

  it('property: keeps what the plan without it keeps, plus the newest pre-upgrade backup, with a reason each', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ day: fc.integer({ min: 1, max: 28 }), verified: fc.boolean(), pre: fc.boolean() }),
          { maxLength: 15 },
        ),
        fc.integer({ min: 1, max: 5 }),
        (raw, keep) => {
          const items = raw.map((r, i) => ({
            id: `b${i}`,
            createdAt: at(r.day),
            verified: r.verified,
            ...(r.pre ? { preUpgradeOf: `r${i}` } : {}),
          }));
          const plain = planRetention(
            items.map(({ preUpgradeOf: _, ...rest }) => rest),
            keep,
          );
          const plan = planRetention(items, keep);
          const newestPre = items
            .filter((i) => i.preUpgradeOf)
            .sort((a, b) =>
              a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
            )[0];
          const expected = new Set([...plain.keep, ...(newestPre ? [newestPre.id] : [])]);
          assert.deepEqual(new Set(plan.keep), expected);
          for (const id of plan.keep) assert.ok(plan.why[id], `no reason for ${id}`);
        },
      ),
    );
  });
});

describe('applyRetention', () => {
  const root = mkdtempSync(join(tmpdir(), 'dbfleet-retention-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  async function backupIn(
    dir: string,
    day: number,
    file = true,
    upgrade?: BackupManifest['upgrade'],
  ): Promise<string> {
    const name = `202501${String(day).padStart(2, '0')}T000000000Z.sqlite`;
    const manifest: BackupManifest = {
      format: 'dbfleet-backup',
      version: 1,
      tenant: 'acme',
      dialect: 'sqlite',
      database: '/x/acme.sqlite',
      file: name,
      server_version: '3.45.0',
      tool: 'sqlite-backup-api',
      tool_version: 'better-sqlite3 12',
      bytes: 3,
      sha256: 'a'.repeat(64),
      created_at: at(day),
      duration_ms: 5,
      fingerprint: { level: 'counts', schemaHash: 'h', objects: {}, tables: {} },
      verification: { level: 'light', ok: true, at: at(day) },
      ...(upgrade ? { upgrade } : {}),
    };
    if (file) writeFileSync(join(dir, name), 'abc');
    await writeManifest(join(dir, `${name}.manifest.json`), manifest);
    return join(dir, name);
  }
  const left = (dir: string) =>
    readdirSync(dir)
      .filter((n) => !n.endsWith('.json'))
      .sort();

  it('does not count a backup whose file is gone: keep 2 leaves two restorable backups', async () => {
    const dir = mkdtempSync(join(root, 'gone-'));
    for (const day of [1, 2, 3]) await backupIn(dir, day);
    await backupIn(dir, 4, false); // its manifest is left, its file lost
    const written = await backupIn(dir, 5);
    const result = await applyRetention(dir, 2, { written });
    assert.deepEqual(left(dir), ['20250103T000000000Z.sqlite', '20250105T000000000Z.sqlite']);
    assert.equal(result.deleted.length, 2);
  });

  it('keeps the backup it was run for when an older one claims a later createdAt', async () => {
    const dir = mkdtempSync(join(root, 'skew-'));
    await backupIn(dir, 9); // written by a runner whose clock was ahead
    const written = await backupIn(dir, 5);
    await applyRetention(dir, 1, { written });
    assert.deepEqual(left(dir), ['20250105T000000000Z.sqlite']);
  });

  it("keeps the newest pre-upgrade backup its manifest names, not an upgrade's post-upgrade one, and says why", async () => {
    const dir = mkdtempSync(join(root, 'pre-'));
    const older = await backupIn(dir, 1, true, { run: 'run-1', stage: 'pre' });
    const pre = await backupIn(dir, 2, true, { run: 'run-2', stage: 'pre' });
    await backupIn(dir, 3, true, { run: 'run-2', stage: 'post' });
    const written = await backupIn(dir, 4);
    const result = await applyRetention(dir, 1, { written });
    assert.deepEqual(left(dir), ['20250102T000000000Z.sqlite', '20250104T000000000Z.sqlite']);
    assert.ok(!result.deleted.includes(pre) && result.deleted.includes(older));
    assert.deepEqual(
      result.reasons.map((r) => r.path),
      [written, pre],
    );
    assert.match(result.reasons[1]?.why ?? '', /pre-upgrade backup of upgrade run run-2/);
  });
});
