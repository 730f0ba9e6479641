/**
 * pg_dump lists event triggers just before the materialized views' data (both restored after the
 * grants), so a restore creates a tenant's event triggers and then runs `REFRESH MATERIALIZED VIEW`,
 * which fires them. A DDL-audit trigger then writes into its log during the restore, or — written for
 * the application's search_path, which pg_restore empties — fails it (`relation "audit_log" does not
 * exist`): a tenant with both could be neither deep-verified nor restored. The views' data is listed
 * before the first event trigger instead; nothing else in that pass (the event triggers and their
 * comments) is anything a refresh needs.
 */
const EVENT_TRIGGER = /^\d+; \d+ \d+ EVENT TRIGGER /;
const MATVIEW_DATA = /^\d+; \d+ \d+ MATERIALIZED VIEW DATA /;

/** The listing for `--use-list` with every materialized view's data before the first event trigger. */
export function matviewDataBeforeEventTriggers(list: string): string {
  const lines = list.split('\n');
  const first = lines.findIndex((l) => EVENT_TRIGGER.test(l));
  if (first === -1) return list;
  const late = lines.slice(first + 1).filter((l) => MATVIEW_DATA.test(l));
  if (late.length === 0) return list;
  return [...lines.slice(0, first), ...late, ...lines.slice(first).filter((l) => !MATVIEW_DATA.test(l))].join(
    '\n',
  );
}
