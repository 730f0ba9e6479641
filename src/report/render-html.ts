import {
  backupLabel,
  driftVersion,
  ms,
  rolledBackLine,
  runLine,
  stepLabel,
  summaryLine,
  tenantsByUrgency,
  verifiedLabel,
  versionLabel,
  when,
} from './format.js';
import { fileName, html, Markup, pathCode, token } from './html-markup.js';
import { CSS } from './html-style.js';
import type { DriftSection, FleetDocument, TenantReport } from './types.js';

export { escapeHtml } from './html-markup.js';

const status = (s: string) => html`<span class="st-${token(s)}">${s}</span>`;

function card(label: string, value: string | number, tone = ''): Markup {
  return html`<div class="card ${tone}"><b>${value}</b><span>${label}</span></div>`;
}

/** The problems of a row, the failure's reason once: a problem the error message already says is left out. */
function problemItems(t: TenantReport): Markup[] {
  const error = t.status === 'failed' ? t.error : null;
  const said = error?.message ?? '';
  return [
    ...(error ? [html`<li><code class="bad">${error.code}</code>: ${error.message}</li>`] : []),
    ...t.problems.filter((p) => !said.includes(p)).map((p) => html`<li>${p}</li>`),
  ];
}

function tenantRow(t: TenantReport): Markup {
  const b = t.backup;
  // The backup, its verdict and its file in one cell: one column less for the table to fit.
  const backup = b
    ? html`${backupLabel(b)}<br><span class="${b.verified ? 'st-succeeded' : 'bad'}">${verifiedLabel(b)}</span>${
        b.verifyError ? html`: ${b.verifyError}` : ''
      }<br>${pathCode(b.path)}`
    : html`<span class="muted">${verifiedLabel(b)}</span>`;
  // The failed step is named, its reason is in the problems cell (once per row).
  const steps = t.steps.length
    ? html`<details><summary>${t.failedStep ? `failed at ${t.failedStep}` : `${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`}</summary><ol>${t.steps.map(
        (s) => html`<li class="st-${token(s.status)}">${stepLabel(s)}</li>`,
      )}</ol></details>`
    : '—';
  const problems = problemItems(t);
  return html`<tr class="status-${token(t.status)}" data-tenant="${t.id}">
<td data-label="tenant"><b class="id">${t.id}</b>${t.host ? html`<br><span class="muted id">${t.host}</span>` : ''}</td>
<td data-label="status">${status(t.status)}</td><td class="num" data-label="time">${ms(t.durationMs)}</td>
<td data-label="version">${fileName(versionLabel(t.current))}</td>
<td data-label="last backup">${backup}</td>
${t.maintenance.stillIn ? html`<td data-label="maintenance"><span class="bad">still in maintenance</span></td>` : html`<td class="num" data-label="maintenance">${ms(t.maintenance.windowMs)}</td>`}
<td data-label="steps">${steps}</td><td class="reason"${problems.length ? new Markup(' data-label="problems"') : ''}>${problems.length ? html`<ul>${problems}</ul>` : ''}</td></tr>
`;
}

/** Backups of one version whose schema hash differs from the version's majority. */
function driftHtml(drift: DriftSection): Markup {
  const rows = drift.outliers.map(
    (o) =>
      html`<tr><td class="id">${o.tenantId}</td><td>${fileName(driftVersion(o))}</td><td><code>${o.schemaHash.slice(0, 12)}</code></td><td><code>${o.expected.slice(0, 12)}</code></td><td class="reason">${o.differences.map((d) => html`${d}<br>`)}</td></tr>`,
  );
  const versions = drift.versions.map(
    (v) =>
      html`<li>${fileName(driftVersion(v))}: ${v.groups.map((g) => html`<code>${g.schemaHash.slice(0, 12)}</code> × ${g.tenants}${g.majority ? ' (majority)' : ''} `)}</li>`,
  );
  return html`<section><h2>Drift (${drift.outliers.length})</h2><p class="muted">Schema fingerprints of this run's backups, per version: a tenant whose fingerprint differs from its version's majority has drifted (<code>dbfleet drift</code> says how).</p>
<ul id="drift-versions">${versions}</ul>${
    rows.length
      ? html`<table id="drift"><thead><tr><th>tenant</th><th>version</th><th>fingerprint</th><th>majority</th><th>differs in</th></tr></thead><tbody>${rows}</tbody></table>`
      : html`<p class="muted">None: every version's backups have one fingerprint.</p>`
  }</section>`;
}

/**
 * The report as ONE self-contained HTML file: inline CSS, no script, no external asset (a CSP forbids
 * loading any), so it opens from disk or a mail attachment. Every value is escaped.
 */
export function renderReportHtml(doc: FleetDocument): string {
  const s = doc.summary;
  const m = doc.maintenance;
  const failures = doc.failures.length
    ? html`<table id="failures"><thead><tr><th>tenant</th><th>step</th><th>code</th><th>reason</th></tr></thead><tbody>${doc.failures.map(
        (f) =>
          html`<tr><td class="id">${f.tenantId}</td><td class="id">${f.step ?? '—'}</td><td><code>${f.code}</code></td><td class="reason">${f.message}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`;
  const num = (v: string | number) => html`<td class="num">${v}</td>`;
  const undone = rolledBackLine(doc);
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dbfleet report — ${doc.run.runId}</title><style>${new Markup(CSS)}</style></head>
<body><header><h1>dbfleet report</h1><p class="muted">${runLine(doc)}</p><p>${summaryLine(doc)}</p>${
    undone ? html`<p class="bad" id="rolled-back"><b>${undone}</b></p>` : ''
  }</header>
<section class="cards" id="summary">
${card('tenants', s.total)}${card('succeeded', s.succeeded, 'ok')}${card('failed', s.failed, s.failed ? 'bad' : '')}
${card('skipped', s.skipped, s.skipped ? 'warn' : '')}${s.unfinished ? card('unfinished', s.unfinished, 'warn') : ''}
${card('with problems', s.withProblems, s.withProblems ? 'warn' : '')}
${card('maintenance p50', ms(m.stats.p50))}${card('maintenance p95', ms(m.stats.p95))}${card('maintenance max', ms(m.stats.max))}
</section>
<section><h2>Failures (${doc.failures.length})</h2>${failures}</section>
${doc.drift ? driftHtml(doc.drift) : ''}
<div class="grid">
<section><h2>Maintenance window</h2><p class="muted">From the before-tenant hook to the after-tenant hook.</p>
<table id="maintenance"><thead><tr><th>tenants</th><th>p50</th><th>p95</th><th>max</th></tr></thead>
<tbody><tr>${num(m.stats.count)}${num(ms(m.stats.p50))}${num(ms(m.stats.p95))}${num(ms(m.stats.max))}</tr></tbody></table>
${m.stillIn.length ? html`<p class="bad">Still in maintenance (${m.stillIn.length}): ${m.stillIn.join(', ')}</p>` : ''}</section>
<section><h2>Tenants per version</h2><table id="versions"><thead><tr><th>version</th><th>tenants</th></tr></thead><tbody>${doc.versions.map(
    (v) => html`<tr><td>${fileName(versionLabel(v))}</td>${num(v.tenants)}</tr>`,
  )}</tbody></table></section>
<section><h2>Slowest tenants</h2><table id="slowest"><thead><tr><th>tenant</th><th>status</th><th>time</th></tr></thead><tbody>${doc.slowest.map(
    (t) =>
      html`<tr><td class="id">${t.tenantId}</td><td>${status(t.status)}</td>${num(ms(t.durationMs))}</tr>`,
  )}</tbody></table></section>
<section><h2>Steps</h2><table id="steps"><thead><tr><th>step</th><th>count</th><th>failed</th><th>p50</th><th>p95</th><th>max</th></tr></thead><tbody>${doc.steps.map(
    (t) =>
      html`<tr><td class="id">${t.step}</td>${num(t.count)}${num(t.failed)}${num(ms(t.stats.p50))}${num(ms(t.stats.p95))}${num(ms(t.stats.max))}</tr>`,
  )}</tbody></table></section>
</div>
<section><h2>Fleet</h2>
<table id="fleet"><thead><tr><th>tenant</th><th>status</th><th>time</th><th>version</th><th>last backup</th><th>maintenance</th><th>steps</th><th>problems</th></tr></thead>
<tbody>
${tenantsByUrgency(doc).map(tenantRow)}</tbody></table></section>
<footer class="muted"><p>Generated ${when(doc.generatedAt)} by dbfleet.</p></footer>
</body></html>
`;
  return page.text;
}
