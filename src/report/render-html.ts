import {
  backupLabel,
  ms,
  runLine,
  stepLabel,
  summaryLine,
  tenantsByUrgency,
  verifiedLabel,
  versionLabel,
  when,
} from './format.js';
import type { FleetDocument, TenantReport } from './types.js';

/** Trusted markup. Only the `html` tag makes one; every other value is escaped when interpolated. */
class Markup {
  constructor(readonly text: string) {}
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function piece(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined). */
function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}

const token = (text: string) => text.toLowerCase().replace(/[^a-z0-9-]/g, '');

const CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:24px;color:#1f2328}
h1{margin:0 0 4px;font-size:22px}h2{font-size:17px;margin:28px 0 8px}.muted{color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px;background:var(--bg)}
.card b{display:block;font-size:22px}.card.bad b{color:var(--bad)}.card.ok b{color:var(--ok)}.card.warn b{color:var(--warn)}
table{border-collapse:collapse;margin:6px 0}#fleet,#failures{width:100%}
.grid{display:flex;flex-wrap:wrap;gap:8px 40px}.grid>section{flex:0 1 auto}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}td.num{text-align:right;white-space:nowrap}code{font-size:12px;word-break:break-all}
tr.status-failed td:first-child{border-left:4px solid var(--bad)}tr.status-skipped td:first-child{border-left:4px solid var(--warn)}
.st-failed,.st-interrupted,.bad{color:var(--bad);font-weight:600}.st-succeeded{color:var(--ok)}.st-skipped,.st-running,.st-queued{color:var(--warn)}
ul,ol{margin:0;padding-left:18px}details summary{cursor:pointer}
`;

const status = (s: string) => html`<span class="st-${token(s)}">${s}</span>`;

function card(label: string, value: string | number, tone = ''): Markup {
  return html`<div class="card ${tone}"><b>${value}</b><span>${label}</span></div>`;
}

function tenantRow(t: TenantReport): Markup {
  const b = t.backup;
  const backup = b ? html`${backupLabel(b)}<br><code>${b.path}</code>` : '—';
  const verified = html`<span class="${b?.verified ? 'st-succeeded' : b ? 'bad' : 'muted'}">${verifiedLabel(b)}</span>${
    b?.verifyError ? html`<br>${b.verifyError}` : ''
  }`;
  const steps = t.steps.length
    ? html`<details><summary>${t.failedStep ? `failed at ${t.failedStep}` : `${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`}</summary><ol>${t.steps.map(
        (s) =>
          html`<li class="st-${token(s.status)}">${stepLabel(s)}${s.error ? `: ${s.error.code} ${s.error.message}` : ''}</li>`,
      )}</ol></details>`
    : '—';
  const problems = [
    ...(t.error && t.status === 'failed'
      ? [html`<li class="bad">${t.error.code}: ${t.error.message}</li>`]
      : []),
    ...t.problems.map((p) => html`<li>${p}</li>`),
  ];
  return html`<tr class="status-${token(t.status)}" data-tenant="${t.id}">
<td><b>${t.id}</b>${t.host ? html`<br><span class="muted">${t.host}</span>` : ''}</td>
<td>${status(t.status)}</td><td class="num">${ms(t.durationMs)}</td><td>${versionLabel(t.current)}</td>
<td>${backup}</td><td>${verified}</td>
<td class="num">${t.maintenance.stillIn ? html`<span class="bad">still in maintenance</span>` : ms(t.maintenance.windowMs)}</td>
<td>${steps}</td><td>${problems.length ? html`<ul>${problems}</ul>` : ''}</td></tr>
`;
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
          html`<tr><td>${f.tenantId}</td><td>${f.step ?? '—'}</td><td><code>${f.code}</code></td><td>${f.message}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`;
  const num = (v: string | number) => html`<td class="num">${v}</td>`;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dbfleet report — ${doc.run.runId}</title><style>${new Markup(CSS)}</style></head>
<body><header><h1>dbfleet report</h1><p class="muted">${runLine(doc)}</p><p>${summaryLine(doc)}</p></header>
<section class="cards" id="summary">
${card('tenants', s.total)}${card('succeeded', s.succeeded, 'ok')}${card('failed', s.failed, s.failed ? 'bad' : '')}
${card('skipped', s.skipped, s.skipped ? 'warn' : '')}${s.unfinished ? card('unfinished', s.unfinished, 'warn') : ''}
${card('with problems', s.withProblems, s.withProblems ? 'warn' : '')}
${card('maintenance p50', ms(m.stats.p50))}${card('maintenance p95', ms(m.stats.p95))}${card('maintenance max', ms(m.stats.max))}
</section>
<section><h2>Failures (${doc.failures.length})</h2>${failures}</section>
<div class="grid">
<section><h2>Maintenance window</h2><p class="muted">From the before-tenant hook to the after-tenant hook.</p>
<table id="maintenance"><thead><tr><th>tenants</th><th>p50</th><th>p95</th><th>max</th></tr></thead>
<tbody><tr>${num(m.stats.count)}${num(ms(m.stats.p50))}${num(ms(m.stats.p95))}${num(ms(m.stats.max))}</tr></tbody></table>
${m.stillIn.length ? html`<p class="bad">Still in maintenance (${m.stillIn.length}): ${m.stillIn.join(', ')}</p>` : ''}</section>
<section><h2>Tenants per version</h2><table id="versions"><thead><tr><th>version</th><th>tenants</th></tr></thead><tbody>${doc.versions.map(
    (v) => html`<tr><td>${versionLabel(v)}</td>${num(v.tenants)}</tr>`,
  )}</tbody></table></section>
<section><h2>Slowest tenants</h2><table id="slowest"><thead><tr><th>tenant</th><th>status</th><th>time</th></tr></thead><tbody>${doc.slowest.map(
    (t) => html`<tr><td>${t.tenantId}</td><td>${status(t.status)}</td>${num(ms(t.durationMs))}</tr>`,
  )}</tbody></table></section>
<section><h2>Steps</h2><table id="steps"><thead><tr><th>step</th><th>count</th><th>failed</th><th>p50</th><th>p95</th><th>max</th></tr></thead><tbody>${doc.steps.map(
    (t) =>
      html`<tr><td>${t.step}</td>${num(t.count)}${num(t.failed)}${num(ms(t.stats.p50))}${num(ms(t.stats.p95))}${num(ms(t.stats.max))}</tr>`,
  )}</tbody></table></section>
</div>
<section><h2>Fleet</h2>
<table id="fleet"><thead><tr><th>tenant</th><th>status</th><th>time</th><th>version</th><th>last backup</th><th>verified</th><th>maintenance</th><th>steps</th><th>problems</th></tr></thead>
<tbody>
${tenantsByUrgency(doc).map(tenantRow)}</tbody></table></section>
<footer class="muted"><p>Generated ${when(doc.generatedAt)} by dbfleet.</p></footer>
</body></html>
`;
  return page.text;
}
