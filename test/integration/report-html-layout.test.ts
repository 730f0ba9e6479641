// The HTML report's layout, measured in Debian's headless Chromium at 1400 and 800 px wide: ids and codes
// on one line, no box sticking out of its cell or section, sections not overlapping, no sideways scroll.
// The page itself carries no script (its CSP forbids one), so the test measures a copy with a measuring
// script appended and the CSP left out. Screenshots land in $REPORT_HTML_SHOTS when that is set, to look at.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const missing = (() => {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `headless Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_BIN)`;
  }
})();

const LONG_ID = 'acme-corporation-emea-production-tenant-01';
const DEEP = '/var/lib/dbfleet/backups/production/eu-central/cluster-7';

function tenant(id: string, i: number): TenantSpec {
  const failed = i % 4 === 3;
  const backup = (n: number) => ({ path: `${DEEP}/${id}/20261204T16144${n}744Z.dump`, bytes: 10_000 + i });
  return {
    id,
    host: `db-${i % 3}.internal.example.com:5432`,
    steps: [
      { step: 'before-tenant', at: Date.now() - 900 * (i + 1) },
      { step: 'backup-pre', data: backup(1) },
      // The backup code journals its own step inside the runbook's.
      { step: 'backup', data: backup(1) },
      { step: 'verify-pre', data: { verified: 'light' } },
      failed
        ? {
            step: 'migrate',
            status: 'failed',
            error: { code: 'MIGRATION_FAILED', message: 'x'.repeat(10) },
          }
        : { step: 'migrate', data: { applied: ['m1'], current: '20240203000000_add_course_archived_at.ts' } },
      ...(failed ? [] : [{ step: 'backup-post', data: backup(2) }, { step: 'after-tenant' }]),
    ],
    result: failed
      ? {
          status: 'failed',
          durationMs: 200 + i,
          error: {
            code: 'MIGRATION_FAILED',
            message: `20240203000000_add_course_archived_at.ts: column "archived_at" of relation "courses" already exists — rolled back to the pre-upgrade state; the tenant stays in maintenance (${i})`,
          },
          details: { rolledBack: true },
        }
      : { status: 'succeeded', durationMs: 200 + i, details: { maintenance: 'open' } },
  };
}

const IDS = [...Array.from({ length: 11 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`), LONG_ID];

const MEASURE = `<script>
const out = { viewport: innerWidth, pageWidth: document.documentElement.scrollWidth, broken: [], outside: [], overlaps: [] };
const inside = (el, box) => { const r = el.getBoundingClientRect(), b = box.getBoundingClientRect(); return r.left >= b.left - 1 && r.right <= b.right + 1; };
for (const el of document.querySelectorAll('code, .id')) {
  // An inline element broken over two lines has two client rects.
  if (el.getClientRects().length > 1) out.broken.push(el.textContent);
  const box = el.closest('td, th, p');
  if (box && !inside(el, box)) out.outside.push(el.textContent);
}
for (const t of document.querySelectorAll('table')) if (!inside(t, t.closest('section'))) out.outside.push('table#' + t.id);
const sections = [...document.querySelectorAll('section')].map((s) => [s.querySelector('h2')?.textContent ?? s.id, s.getBoundingClientRect()]);
sections.forEach(([a, r], i) => sections.slice(i + 1).forEach(([b, q]) => {
  if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1) out.overlaps.push(a + ' / ' + b);
}));
const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out); document.body.append(pre);
</script>`;

const chromium = (dir: string, args: string[]) =>
  promisify(execFile)(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      ...args,
    ],
    { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
  );

describe('the HTML report layout in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-report-layout-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps ids and codes whole, boxes apart and the page within 1400 and 800 px', {
    skip: missing && !process.env.CI ? missing : false,
    timeout: 240_000,
  }, async () => {
    if (missing) assert.fail(`CI is set and ${missing}`);
    const journalPath = join(dir, 'journal.db');
    const journal = await Journal.open(journalPath);
    await recordRun(journal, { runId: 'layout-run', command: 'upgrade', tenants: IDS.map(tenant) });
    await journal.close();
    const knex = await openJournalDatabase(journalPath);
    const doc = await buildFleetReport(knex).finally(() => knex.destroy());
    const page = renderReportHtml(doc);
    const file = join(dir, 'report.html');
    writeFileSync(file, page);
    const measured = join(dir, 'measured.html');
    writeFileSync(
      measured,
      page
        .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
        .replace('</body>', `${MEASURE}</body>`),
    );

    // A long path is shortened, whole in its title; the failure's reason is said once in its row.
    assert.ok(
      page.includes(`title="${DEEP}/tenant-00/20261204T161442744Z.dump">…/20261204T161442744Z.dump<`),
      'a long path shortened, whole on hover',
    );
    const failedRow = /<tr[^>]*data-tenant="tenant-03">[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
    assert.equal(failedRow.split('already exists').length - 1, 1, 'the reason once in a failed row');

    for (const width of [1400, 800]) {
      if (process.env.REPORT_HTML_SHOTS) {
        await chromium(dir, [
          `--window-size=${width},2400`,
          `--screenshot=${join(dir, `shot-${width}.png`)}`,
          pathToFileURL(file).href,
        ]);
        copyFileSync(
          join(dir, `shot-${width}.png`),
          join(process.env.REPORT_HTML_SHOTS, `report-${width}.png`),
        );
      }
      const { stdout: dom } = await chromium(dir, [
        `--window-size=${width},1000`,
        '--dump-dom',
        pathToFileURL(measured).href,
      ]);
      const json = /<pre id="measure">([^<]*)<\/pre>/.exec(dom)?.[1];
      assert.ok(json, `the measuring script ran at ${width}px`);
      const m = JSON.parse(
        json
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>'),
      );
      assert.equal(m.viewport, width);
      assert.ok(
        m.pageWidth <= width,
        `the page is ${m.pageWidth}px wide at ${width}px: ${JSON.stringify(m)}`,
      );
      assert.deepEqual(m.broken, [], `ids and codes broken over lines at ${width}px`);
      assert.deepEqual(m.outside, [], `boxes sticking out of their cell or section at ${width}px`);
      assert.deepEqual(m.overlaps, [], `overlapping sections at ${width}px`);
    }
  });
});
