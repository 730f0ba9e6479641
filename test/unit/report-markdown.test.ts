import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderReportTable } from '../../src/cli/render/report-table.js';
import { escapeMarkdown, renderReportJson, renderReportMarkdown } from '../../src/report/index.js';
import { documentFixture, EVIL_ID } from '../helpers/report-doc.js';

/** Cells of a Markdown table row, split on pipes that are not backslash-escaped. */
const cells = (line: string) => line.slice(2, -2).split(/(?<!\\)\|/);

function section(md: string, title: string): string[] {
  const start = md.indexOf(`\n## ${title}`);
  assert.ok(start >= 0, `section ${title}`);
  const end = md.indexOf('\n## ', start + 1);
  return md
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((l) => l.startsWith('| '));
}

describe('renderReportMarkdown', () => {
  const doc = documentFixture();
  const md = renderReportMarkdown(doc);

  it('escapes HTML and Markdown punctuation; newlines become <br>', () => {
    assert.equal(
      escapeMarkdown('a|b *c* _d_ `e` [f](g) <h> & \\'),
      'a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) &lt;h&gt; &amp; \\\\',
    );
    assert.equal(escapeMarkdown('one\ntwo'), 'one<br>two');
  });

  it('the fleet table has one row per tenant with as many cells as the header', () => {
    const [head, sep, ...rows] = section(md, 'Fleet');
    assert.ok(head && sep);
    assert.equal(cells(head).length, 9);
    assert.equal(rows.length, doc.tenants.length);
    for (const row of rows) assert.equal(cells(row).length, 9, row);
    assert.ok(rows[0]!.startsWith(`| ${escapeMarkdown(EVIL_ID)} | failed |`));
    assert.ok(rows.some((r) => r.startsWith('| globex\\|pipe | succeeded |')));
  });

  it('user data cannot inject HTML, links or emphasis', () => {
    assert.ok(!md.includes('<script'));
    assert.ok(!md.includes('<img'));
    assert.ok(!md.includes('[link](http'));
    assert.ok(md.includes('\\[link\\](http://evil.example)'));
  });

  it('has the fleet sections: summary, maintenance stats, versions, failures, slowest, steps', () => {
    for (const title of [
      'Summary',
      'Maintenance window',
      'Tenants per version',
      'Failures (1)',
      'Slowest tenants',
      'Steps',
    ])
      assert.ok(md.includes(`\n## ${title}\n`), title);
    assert.deepEqual(
      cells(section(md, 'Maintenance window')[2]!).map((c) => c.trim()),
      ['2', '2.9s', '2.9s', '2.9s'],
    );
    assert.deepEqual(
      cells(section(md, 'Tenants per version')[3]!).map((c) => c.trim()),
      ['unknown', '1'],
    );
    assert.match(md, /\*\*Still in maintenance \(1\):\*\* &lt;script&gt;/);
  });
});

describe('renderReportTable and renderReportJson', () => {
  const doc = documentFixture();

  it('the table lists every tenant, failures first, and the fleet sections', () => {
    const text = renderReportTable(doc);
    const lines = text.split('\n');
    const row = (id: string) => lines.findIndex((l) => l.includes(`│ ${id}`));
    assert.ok(row(EVIL_ID.slice(0, 10)) > 0 && row(EVIL_ID.slice(0, 10)) < row('acme'));
    assert.ok(row('globex|pipe') > 0);
    for (const heading of [
      'Tenants per version',
      'Maintenance window: p50 2.9s · p95 2.9s · max 2.9s (n=2)',
      'Failures (1)',
      'Slowest tenants',
      'Steps',
    ])
      assert.ok(text.includes(heading), heading);
  });

  it('the table caps its rows and says how many more there are', () => {
    const text = renderReportTable(doc, { maxRows: 1 });
    assert.match(text, /… 2 more tenant\(s\)/);
    assert.ok(!text.includes('│ acme'));
  });

  it('JSON is the whole document', () => {
    assert.deepEqual(JSON.parse(renderReportJson(doc)), doc);
  });
});
