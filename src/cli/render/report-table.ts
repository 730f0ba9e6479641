import Table from 'cli-table3';
import {
  backupLabel,
  ms,
  runLine,
  statsLabel,
  stepsSummary,
  summaryLine,
  tenantsByUrgency,
  verifiedLabel,
  versionLabel,
} from '../../report/format.js';
import type { FleetDocument } from '../../report/types.js';

export interface TableRenderOptions {
  /** Tenant rows shown before "… N more" (default 200; the full list is in the other formats). */
  maxRows?: number;
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const style = { head: [] as string[], border: [] as string[] };

function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, style, wordWrap: true });
  for (const row of rows) t.push(row);
  return t.toString();
}

/** The report for a terminal: sections of plain tables, the tenants needing attention first. */
export function renderReportTable(doc: FleetDocument, options: TableRenderOptions = {}): string {
  const maxRows = options.maxRows ?? 200;
  const out: string[] = [`dbfleet report — ${runLine(doc)}`, summaryLine(doc), ''];

  const tenants = tenantsByUrgency(doc);
  out.push(
    table(
      ['tenant', 'status', 'time', 'version', 'last backup', 'verified', 'steps', 'maintenance', 'problems'],
      tenants
        .slice(0, maxRows)
        .map((t) => [
          t.id,
          t.status,
          ms(t.durationMs),
          versionLabel(t.current),
          backupLabel(t.backup),
          verifiedLabel(t.backup),
          stepsSummary(t),
          t.maintenance.stillIn ? 'STILL IN' : ms(t.maintenance.windowMs),
          t.problems.map((p) => clip(p, 120)).join('\n'),
        ]),
    ),
  );
  if (tenants.length > maxRows)
    out.push(`… ${tenants.length - maxRows} more tenant(s); use --format json|html|md for all`);

  out.push('', 'Tenants per version');
  out.push(
    table(
      ['version', 'tenants'],
      doc.versions.map((v) => [versionLabel(v), String(v.tenants)]),
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
      table(
        ['tenant', 'step', 'code', 'reason'],
        doc.failures.map((f) => [f.tenantId, f.step ?? '—', f.code, clip(f.message, 200)]),
      ),
    );
  }
  if (doc.slowest.length) {
    out.push('', 'Slowest tenants');
    out.push(
      table(
        ['tenant', 'status', 'time'],
        doc.slowest.map((s) => [s.tenantId, s.status, ms(s.durationMs)]),
      ),
    );
  }
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
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
