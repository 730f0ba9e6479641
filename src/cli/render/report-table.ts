import {
  backupLabel,
  driftOutlierRows,
  driftVersionRows,
  ms,
  rolledBackLine,
  runLine,
  statsLabel,
  stepsSummary,
  summaryLine,
  tenantsByUrgency,
  verifiedLabel,
  versionLabel,
} from '../../report/format.js';
import type { DriftSection, FleetDocument } from '../../report/types.js';
import { drawTable, errorColumn } from './draw-table.js';
import { terminalWidth } from './fit-width.js';

export interface TableRenderOptions {
  /** Tenant rows shown before "… N more" (default 200; the full list is in the other formats). */
  maxRows?: number;
  /** The width to fit (default: the terminal's, 80 when piped). */
  width?: number;
}

/** A table from a heading and rows: each column is a heading and that column of every row. */
function table(head: string[], rows: string[][], width: number): string {
  return drawTable(
    head.map((h, i) => ({ head: h, cells: rows.map((r) => r[i] ?? ''), maxLines: 3 })),
    width,
  );
}

/** The report for a terminal: sections of tables fitted to its width, the tenants needing attention first. */
export function renderReportTable(doc: FleetDocument, options: TableRenderOptions = {}): string {
  const maxRows = options.maxRows ?? 200;
  const width = options.width ?? terminalWidth();
  const undone = rolledBackLine(doc);
  const out: string[] = [
    `dbfleet report — ${runLine(doc)}`,
    summaryLine(doc),
    ...(undone ? [undone] : []),
    '',
  ];

  const tenants = tenantsByUrgency(doc).slice(0, maxRows);
  out.push(
    drawTable(
      [
        // The columns that say which tenant and how it went keep their width; the rest wrap.
        { head: 'tenant', cells: tenants.map((t) => t.id), minWidth: 24 },
        { head: 'status', cells: tenants.map((t) => t.status), minWidth: 9 },
        { head: 'time', cells: tenants.map((t) => ms(t.durationMs)), minWidth: 7 },
        { head: 'version', cells: tenants.map((t) => versionLabel(t.current)), maxLines: 2 },
        {
          head: 'last backup',
          cells: tenants.map((t) => `${backupLabel(t.backup)}\n${verifiedLabel(t.backup)}`),
          maxLines: 3,
        },
        { head: 'steps', cells: tenants.map(stepsSummary), maxLines: 2, optional: true },
        {
          head: 'window',
          cells: tenants.map((t) => (t.maintenance.stillIn ? 'STILL IN' : ms(t.maintenance.windowMs))),
          minWidth: 8,
        },
        { head: 'problems', cells: tenants.map((t) => t.problems.join('\n')), maxLines: 4 },
      ],
      width,
    ),
  );
  if (doc.tenants.length > maxRows)
    out.push(`… ${doc.tenants.length - maxRows} more tenant(s); use --format json|html|md for all`);

  out.push('', 'Tenants per version');
  out.push(
    table(
      ['version', 'tenants'],
      doc.versions.map((v) => [versionLabel(v), String(v.tenants)]),
      width,
    ),
  );

  out.push('', `Maintenance window: ${statsLabel(doc.maintenance.stats)}`);
  if (doc.maintenance.stillIn.length)
    out.push(
      `Still in maintenance (${doc.maintenance.stillIn.length}): ${doc.maintenance.stillIn.join(', ')}`,
    );

  if (doc.failures.length) {
    out.push('', `Failures (${doc.failures.length})`);
    out.push(
      drawTable(
        [
          { head: 'tenant', cells: doc.failures.map((f) => f.tenantId) },
          { head: 'step', cells: doc.failures.map((f) => f.step ?? '—') },
          errorColumn(
            'reason',
            doc.failures.map((f) => ({ code: f.code, message: f.message })),
          ),
        ],
        width,
      ),
    );
  }
  if (doc.slowest.length) {
    out.push('', 'Slowest tenants');
    out.push(
      table(
        ['tenant', 'status', 'time'],
        doc.slowest.map((s) => [s.tenantId, s.status, ms(s.durationMs)]),
        width,
      ),
    );
  }
  if (doc.drift) out.push('', ...driftLines(doc.drift, width));
  if (doc.steps.length) {
    out.push('', 'Steps');
    out.push(
      table(
        ['step', 'count', 'failed', 'p50', 'p95', 'max'],
        doc.steps.map((s) => [
          s.step,
          String(s.count),
          String(s.failed),
          ms(s.stats.p50),
          ms(s.stats.p95),
          ms(s.stats.max),
        ]),
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The run's backup fingerprints per version, and the tenants that differ from their version's majority. */
function driftLines(drift: DriftSection, width: number): string[] {
  const none = drift.outliers.length === 0;
  const out = [
    `Drift: ${none ? 'none' : `${drift.outliers.length} tenant(s)`} among ${drift.tenants} fingerprinted by this run's backups`,
    ...(none ? [] : ['(`dbfleet drift` says how they differ)']),
    table(['version', 'tenants', 'fingerprints (majority first)'], driftVersionRows(drift), width),
  ];
  if (none) return out;
  const rows = driftOutlierRows(drift);
  const column = (i: number) => rows.map((r) => r[i] ?? '');
  out.push(
    drawTable(
      [
        { head: 'tenant', cells: column(0), minWidth: 24 },
        { head: 'version', cells: column(1), maxLines: 2 },
        { head: 'fingerprint', cells: column(2), minWidth: 12 },
        { head: 'majority', cells: column(3), minWidth: 12 },
        { head: 'differs in', cells: column(4), maxLines: 6 },
      ],
      width,
    ),
  );
  return out;
}
