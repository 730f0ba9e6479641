import type { FleetDocument } from './types.js';

/** The report document as JSON (the whole document: every tenant, step and backup). */
export function renderReportJson(doc: FleetDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
