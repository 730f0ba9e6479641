/** `2024-05-01 10:22:03Z` — second precision, UTC, unambiguous: a time in a sentence or a table cell. */
export function utcStamp(time: number | string): string {
  return new Date(time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
