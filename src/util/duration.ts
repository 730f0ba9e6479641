/**
 * The longest duration there is a use for, 2^31 - 1 ms (24.8 days): PostgreSQL's lock_timeout and
 * statement_timeout stop there (a longer one fails every tenant's session with a server error), and
 * Node's timers too (a longer delay fires at once).
 */
const LONGEST_MS = 2_147_483_647;

function bounded(ms: number, input: string | number): number {
  if (ms > LONGEST_MS) throw new Error(`duration ${input} is too long (at most 596h, 24.8 days)`);
  return ms;
}

/** Parses `500`, `500ms`, `5s`, `2m`, `1h` into milliseconds; throws on anything else. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}`);
    return bounded(input, input);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(input);
  if (!match) throw new Error(`invalid duration "${input}" (use e.g. 500ms, 5s, 2m)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 'ms').toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000;
  return bounded(Math.round(value * factor), input.trim());
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
