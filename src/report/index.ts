export { type BuildReportOptions, buildFleetReport } from './build.js';
export { type PickedRun, pickRun } from './pick-run.js';
export { escapeHtml, renderReportHtml } from './render-html.js';
export { renderReportJson } from './render-json.js';
export { escapeMarkdown, renderReportMarkdown } from './render-markdown.js';
export { type ReportOptions, report } from './report.js';
export { durationStats, percentile } from './stats.js';
export type {
  BackupInfo,
  DriftSection,
  DurationStats,
  FleetDocument,
  ReportRun,
  StepTiming,
  TenantReport,
  TenantVersion,
} from './types.js';

import { renderReportHtml } from './render-html.js';
import { renderReportJson } from './render-json.js';
import { renderReportMarkdown } from './render-markdown.js';
import type { FleetDocument } from './types.js';

/** The file formats of the report; the terminal table is the CLI's (src/cli/render/report-table.ts). */
export type ReportFileFormat = 'json' | 'md' | 'html';

/** Renders the document in one of the file formats. */
export function renderReport(doc: FleetDocument, format: ReportFileFormat): string {
  switch (format) {
    case 'json':
      return renderReportJson(doc);
    case 'md':
      return renderReportMarkdown(doc);
    case 'html':
      return renderReportHtml(doc);
  }
}
