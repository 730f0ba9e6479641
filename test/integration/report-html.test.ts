// The HTML report opened by a real browser: Debian's headless Chromium loads the file from disk (no
// server) and dumps the DOM it built. Missing Chromium fails the test when CI is set, skips it otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Journal } from '../../src/journal/journal.js';
import { openJournalDatabase } from '../../src/journal/open.js';
import { buildFleetReport, renderReportHtml } from '../../src/report/index.js';
import { recordRun, type TenantSpec } from '../helpers/journal-runs.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `headless Chromium not found at ${CHROMIUM} (install Debian's package: apt-get install -y chromium, or set CHROMIUM_BIN)`;
  }
}

const decode = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#(\d+)|#x([0-9a-f]+));/gi, (_, name: string, dec?: string, hex?: string) =>
    dec
      ? String.fromCodePoint(Number(dec))
      : hex
        ? String.fromCodePoint(Number.parseInt(hex, 16))
        : ({ amp: '&', lt: '<', gt: '>', quot: '"' } as Record<string, string>)[name.toLowerCase()]!,
  );

const HOSTILE = ['<script>alert(1)</script>', 'a&b"c\'d', '<img src=x onerror=alert(2)>', 'tenant-ü'];
const IDS = [...HOSTILE, ...Array.from({ length: 40 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`)];

function spec(id: string, i: number): TenantSpec {
  const failed = i % 7 === 1;
  return {
    id,
    steps: [
      { step: 'before-tenant', at: Date.now() - 1000 * (i + 1) },
      { step: 'backup-pre', data: { path: `/b/${id}/1.dump`, bytes: 1000 + i, sha256: 'x' } },
      { step: 'verify-pre', data: { verified: 'light' } },
      failed
        ? {
            step: 'migrate',
            status: 'failed',
            error: { code: 'MIGRATION_FAILED', message: `<script>document.title="owned ${i}"</script>` },
          }
        : { step: 'migrate', data: { applied: ['m1'], current: 'm1' }, migrations: [{ name: 'm1' }] },
      ...(failed ? [] : [{ step: 'after-tenant' }]),
    ],
    result: failed
      ? {
          status: 'failed',
          durationMs: 100 + i,
          error: { code: 'MIGRATION_FAILED', message: `<b>bold ${i}</b>` },
        }
      : { status: 'succeeded', durationMs: 100 + i, details: { maintenance: 'open' } },
  };
}

describe('the HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-html-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = chromiumMissing();
  if (missing && !process.env.CI) process.stderr.write(`\n  SKIPPED report-html.test.ts: ${missing}\n\n`);

  it('renders the fleet table with every tenant, hostile ids as text', {
    skip: missing && !process.env.CI ? missing : false,
    timeout: 120_000,
  }, async () => {
    if (missing) assert.fail(`CI is set and ${missing}`);
    const journalPath = join(dir, 'journal.db');
    const journal = await Journal.open(journalPath);
    await recordRun(journal, { runId: 'html-run', command: 'upgrade', tenants: IDS.map(spec) });
    await journal.close();
    const knex = await openJournalDatabase(journalPath);
    const doc = await buildFleetReport(knex).finally(() => knex.destroy());
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(doc));

    const { stdout: dom } = await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--dump-dom',
        pathToFileURL(file).href,
      ],
      { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
    );

    assert.match(dom, /<h1>dbfleet report<\/h1>/, 'Chromium loaded the page');
    const start = dom.indexOf('<table id="fleet">');
    assert.ok(start >= 0, 'the DOM has the fleet table');
    const table = dom.slice(start, dom.indexOf('</table>', start));
    const rows = [...table.matchAll(/<tr class="status-(\w+)" data-tenant="([^"]*)">/g)];
    assert.deepEqual(rows.map((r) => decode(r[2]!)).sort(), [...IDS].sort());
    assert.equal(rows.filter((r) => r[1] === 'failed').length, IDS.filter((_, i) => i % 7 === 1).length);
    // Every hostile string stayed text: no element came out of it, and the script never ran.
    assert.ok(!/<script|<img|<b>bold/i.test(dom), 'no element from user data');
    assert.match(dom, /<title>dbfleet report — html-run<\/title>/);
    assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});
