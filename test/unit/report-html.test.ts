import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, renderReportHtml } from '../../src/report/index.js';
import { documentFixture, EVIL_ERROR, EVIL_ID } from '../helpers/report-doc.js';

/** The text between <table id="fleet"> and its </table>. */
function fleetTable(page: string): string {
  const start = page.indexOf('<table id="fleet">');
  assert.ok(start >= 0, 'the page has <table id="fleet">');
  return page.slice(start, page.indexOf('</table>', start));
}

describe('renderReportHtml', () => {
  const doc = documentFixture();
  const page = renderReportHtml(doc);

  it('escapes the five HTML-special characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('a hostile tenant id, host, path and error come out as text, never as markup', () => {
    assert.ok(!/<script/i.test(page), 'no <script> anywhere: the page has none of its own');
    assert.ok(!/<img/i.test(page), 'no <img> from the error message');
    assert.ok(!page.includes('<b>host</b>'), 'the host cannot close the attribute or add markup');
    assert.ok(!page.includes('/backups/<evil>/'), 'the backup path is escaped');
    assert.ok(page.includes(escapeHtml(EVIL_ID)));
    assert.ok(page.includes(`data-tenant="${escapeHtml(EVIL_ID)}"`));
    assert.ok(page.includes(escapeHtml(EVIL_ERROR)));
    assert.ok(page.includes('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;'));
  });

  it('one self-contained file: no scripts, no external assets, a CSP that forbids loading any', () => {
    assert.match(page, /^<!doctype html>/);
    assert.match(
      page,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/,
    );
    assert.match(page, /<style>[^<]+<\/style>/);
    assert.ok(!/<(link|script|iframe|object|embed)\b/i.test(page));
    assert.ok(!/<[^>]*\s(src|href)=/i.test(page), 'no src= or href= attribute in any tag');
    assert.ok(!/url\(/i.test(page), 'no url() in the CSS');
  });

  it('the fleet table has one row per tenant, failed ones first', () => {
    const table = fleetTable(page);
    const rows = [...table.matchAll(/<tr class="status-[a-z-]*" data-tenant="([^"]*)">/g)].map((m) => m[1]);
    assert.deepEqual(rows, [escapeHtml(EVIL_ID), 'acme', 'globex|pipe']);
    assert.match(table, /still in maintenance/);
    assert.match(table, /FAILED verification/);
  });

  it('summary cards, maintenance stats, failures and versions are there', () => {
    assert.match(page, /<div class="card bad"><b>1<\/b><span>failed<\/span><\/div>/);
    assert.match(page, /<div class="card "><b>2\.9s<\/b><span>maintenance p95<\/span><\/div>/);
    assert.match(page, /<table id="maintenance">[\s\S]*<td class="num">2<\/td><td class="num">2\.9s<\/td>/);
    assert.match(page, /<table id="failures">[\s\S]*<code>MIGRATION_FAILED<\/code>/);
    assert.match(
      page,
      /<table id="versions">[\s\S]*20240501_<wbr>add_<wbr>index<\/span><\/td><td class="num">2<\/td>[\s\S]*unknown<\/span><\/td><td class="num">1</,
    );
  });
});
