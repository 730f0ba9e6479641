// The --json report is written a tenant at a time (a 10,000-tenant report's memory peak came from
// building it whole); what reaches stdout must stay byte for byte what the one-shot form printed.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { printReport } from '../../src/cli/output.js';
import { jsonReportPieces, writeJsonReport } from '../../src/cli/render/json-report.js';
import type { TenantResult } from '../../src/core/events.js';
import { redactDeep } from '../../src/core/redact.js';
import { type FleetReport, toJsonReport } from '../../src/fleet/report.js';

const oneShot = (report: FleetReport<object>) =>
  `${JSON.stringify(redactDeep(toJsonReport(report)), null, 2)}\n`;

function reportOf(tenants: TenantResult[], extra: Partial<FleetReport> = {}): FleetReport {
  return {
    command: 'migrate',
    ok: false,
    runId: '20261206T000000Z-abcd',
    interrupted: true,
    durationMs: 1234,
    summary: { total: tenants.length, succeeded: 0, failed: tenants.length, skipped: 0 },
    tenants,
    ...extra,
  };
}

const awkward: TenantResult[] = [
  {
    id: 'acme',
    status: 'failed',
    durationMs: 5,
    error: {
      code: 'MIGRATION_FAILED',
      message: 'connect postgres://app:s3cret@db/acme failed\nsecond line "quoted" \u2028 é',
    },
    details: { applied: [], current: null, nested: { password: 'hunter2', list: [1, { a: 'b\nc' }] } },
  },
  { id: 'beta', status: 'succeeded', durationMs: 7, details: { applied: ['001_init.js'], current: '001' } },
  { id: 'gamma', status: 'skipped', durationMs: 0, details: {} },
];

describe('the --json report, written a tenant at a time', () => {
  it('is byte for byte the one-shot JSON, redaction and escapes included', () => {
    const report = reportOf(awkward);
    const text = [...jsonReportPieces(report)].join('');
    assert.equal(text, oneShot(report));
    assert.doesNotMatch(text, /s3cret|hunter2/);
  });

  it('is the same without the optional keys and with no tenants at all', () => {
    for (const report of [
      reportOf(awkward.slice(1, 2), { runId: undefined, interrupted: false, ok: true }),
      reportOf([]),
    ]) {
      assert.equal([...jsonReportPieces(report)].join(''), oneShot(report));
    }
  });

  it('keys after the tenants (the drift summary) are byte for byte the one-shot JSON too', () => {
    const drift = {
      found: true,
      versions: [
        { version: '002', groups: [{ tenants: ['acme', 'beta'], fingerprint: 'ab12' }, { tenants: [] }] },
        { version: null, note: 'read postgres://app:s3cret@db/x', empty: {}, list: [[1, 2], []] },
      ],
    };
    for (const tenants of [awkward, []]) {
      const report = reportOf(tenants);
      const expected = `${JSON.stringify(redactDeep({ ...toJsonReport(report), drift }), null, 2)}\n`;
      const text = [...jsonReportPieces(report, { drift, absent: undefined })].join('');
      assert.equal(text, expected);
      assert.doesNotMatch(text, /s3cret/);
    }
  });

  it('writes a large fleet in bounded chunks, waiting for a slow reader, byte for byte the same', async () => {
    const many: TenantResult[] = Array.from({ length: 5000 }, (_, i) => ({
      id: `t${String(i).padStart(5, '0')}`,
      status: 'succeeded',
      durationMs: i,
      details: { current: '20250203000000_create_notifications_and_settings.js', pending: [] },
    }));
    const report = reportOf(many);
    // A slow reader with a small buffer: the writer must wait for it rather than queue the whole report.
    const chunks: string[] = [];
    let queuedMost = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      decodeStrings: false,
      write(chunk: string, _encoding, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    const watch = setInterval(() => {
      queuedMost = Math.max(queuedMost, out.writableLength);
    }, 0);
    await writeJsonReport(report, out);
    clearInterval(watch);
    queuedMost = Math.max(queuedMost, out.writableLength);
    assert.ok(chunks.length > 5, `expected several chunks, got ${chunks.length}`);
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length < 128 * 1024, 'a chunk stays bounded');
    assert.ok(queuedMost < 200 * 1024, `at most a chunk or two waits in the stream (${queuedMost} chars)`);
    assert.equal(chunks.join(''), oneShot(report));
  });

  it('a reader that went away (EPIPE) ends the writing quietly; any other write error is thrown', async () => {
    const many: TenantResult[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `t${String(i).padStart(5, '0')}`,
      status: 'succeeded',
      durationMs: i,
      details: {},
    }));
    const failingAfter = (code: string) => {
      let writes = 0;
      return new Writable({
        highWaterMark: 1024,
        write(_chunk, _encoding, done) {
          writes++;
          done(writes > 1 ? Object.assign(new Error(`write ${code}`), { code }) : undefined);
        },
      });
    };
    await writeJsonReport(reportOf(many), failingAfter('EPIPE'));
    await assert.rejects(writeJsonReport(reportOf(many), failingAfter('ENOSPC')), /ENOSPC/);
  });

  it('is how `--json` prints: stdout gets the report in chunks, not one whole-report string', async () => {
    const many: TenantResult[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `t${String(i).padStart(5, '0')}`,
      status: 'succeeded',
      durationMs: i,
      details: { applied: ['20250101000000_create_organizations.js'] },
    }));
    const report = reportOf(many);
    const writes: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      writes.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      await printReport(report, { json: true, tty: false });
    } finally {
      process.stdout.write = write;
    }
    assert.ok(writes.length > 1, `printed in ${writes.length} write(s)`);
    assert.equal(writes.join(''), oneShot(report));
  });
});
