import {
  backupLabel,
  driftOutlierRows,
  driftVersionRows,
  ms,
  rolledBackLine,
  runLine,
  stepLabel,
  summaryLine,
  tenantsByUrgency,
  verifiedLabel,
  versionLabel,
} from './format.js';
import type { DriftSection, FleetDocument } from './types.js';

/**
 * Escapes text for a Markdown table cell or paragraph: HTML is neutralised (tenant ids and error
 * messages are user data, and many Markdown viewers render raw HTML), Markdown punctuation is
 * backslash-escaped so it cannot open emphasis, links or break the table, newlines become <br>.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~#!])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

const cell = (value: string) => (value === '' ? ' ' : escapeMarkdown(value));

function table(head: string[], rows: string[][], alignRight: number[] = []): string {
  const sep = head.map((_, i) => (alignRight.includes(i) ? '---:' : '---'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head.map(cell)), line(sep), ...rows.map((r) => line(r.map(cell)))].join('\n');
}

/** Backups of one version whose schema hash differs from the version's majority. */
function driftMarkdown(drift: DriftSection): string[] {
  const out = [`## Drift (${drift.outliers.length})`, ''];
  out.push(
    "Schema fingerprints of this run's backups, per version: a tenant whose fingerprint differs from its version's majority has drifted (`dbfleet drift` says how).",
    '',
  );
  out.push(table(['version', 'tenants', 'fingerprints (majority first)'], driftVersionRows(drift), [1]), '');
  if (drift.outliers.length === 0) return [...out, "None: every version's backups have one fingerprint.", ''];
  out.push(
    table(['tenant', 'version', 'fingerprint', 'majority', 'differs in'], driftOutlierRows(drift)),
    '',
  );
  return out;
}

/** The report as one Markdown document (GitHub-flavoured tables), every tenant included. */
export function renderReportMarkdown(doc: FleetDocument): string {
  const s = doc.summary;
  const m = doc.maintenance;
  const out: string[] = [
    '# dbfleet report',
    '',
    escapeMarkdown(runLine(doc)),
    '',
    escapeMarkdown(summaryLine(doc)),
    '',
  ];
  const undone = rolledBackLine(doc);
  if (undone) out.push(`**${escapeMarkdown(undone)}**`, '');

  out.push('## Summary', '');
  out.push(
    table(
      ['tenants', 'succeeded', 'failed', 'skipped', 'unfinished', 'with problems'],
      [[s.total, s.succeeded, s.failed, s.skipped, s.unfinished, s.withProblems].map(String)],
      [0, 1, 2, 3, 4, 5],
    ),
    '',
  );

  out.push(
    '## Maintenance window',
    '',
    'Time between the before-tenant hook and the after-tenant hook, per tenant.',
    '',
  );
  out.push(
    table(
      ['tenants', 'p50', 'p95', 'max'],
      [[String(m.stats.count), ms(m.stats.p50), ms(m.stats.p95), ms(m.stats.max)]],
      [0, 1, 2, 3],
    ),
    '',
  );
  if (m.stillIn.length)
    out.push(
      `**Still in maintenance (${m.stillIn.length}):** ${m.stillIn.map(escapeMarkdown).join(', ')}`,
      '',
    );

  out.push('## Tenants per version', '');
  out.push(
    table(
      ['version', 'tenants'],
      doc.versions.map((v) => [versionLabel(v), String(v.tenants)]),
      [1],
    ),
    '',
  );

  if (doc.drift) out.push(...driftMarkdown(doc.drift));

  out.push(`## Failures (${doc.failures.length})`, '');
  if (doc.failures.length === 0) out.push('None.', '');
  else
    out.push(
      table(
        ['tenant', 'step', 'code', 'reason'],
        doc.failures.map((f) => [f.tenantId, f.step ?? '—', f.code, f.message]),
      ),
      '',
    );

  if (doc.slowest.length) {
    out.push('## Slowest tenants', '');
    out.push(
      table(
        ['tenant', 'status', 'time'],
        doc.slowest.map((t) => [t.tenantId, t.status, ms(t.durationMs)]),
        [2],
      ),
      '',
    );
  }
  if (doc.steps.length) {
    out.push('## Steps', '');
    out.push(
      table(
        ['step', 'count', 'failed', 'p50', 'p95', 'max'],
        doc.steps.map((t) => [
          t.step,
          String(t.count),
          String(t.failed),
          ms(t.stats.p50),
          ms(t.stats.p95),
          ms(t.stats.max),
        ]),
        [1, 2, 3, 4, 5],
      ),
      '',
    );
  }

  out.push('## Fleet', '');
  out.push(
    table(
      ['tenant', 'status', 'time', 'version', 'last backup', 'verified', 'maintenance', 'steps', 'problems'],
      tenantsByUrgency(doc).map((t) => [
        t.id,
        t.status,
        ms(t.durationMs),
        versionLabel(t.current),
        t.backup ? `${backupLabel(t.backup)}\n${t.backup.path}` : '—',
        verifiedLabel(t.backup) + (t.backup?.verifyError ? `: ${t.backup.verifyError}` : ''),
        t.maintenance.stillIn ? 'still in maintenance' : ms(t.maintenance.windowMs),
        t.steps.map(stepLabel).join('\n'),
        t.problems.join('\n'),
      ]),
      [2],
    ),
    '',
  );
  out.push(`_Generated ${escapeMarkdown(doc.generatedAt)} by dbfleet._`, '');
  return out.join('\n');
}
