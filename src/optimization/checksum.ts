import { createHash } from 'node:crypto';

/**
 * JSON with sorted keys, functions by their source text (line endings normalized) and Dates as ISO
 * strings, `undefined` members left out: the same definition always gives the same text, whatever
 * order its author wrote the keys in.
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(normalize(value, new Set()));
}

function normalize(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'function') return { function: value.toString().replace(/\r\n?/g, '\n') };
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value instanceof Date) return { date: value.toISOString() };
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) throw new TypeError('an optimization definition cannot contain a cycle');
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalize(v, seen)));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalize(v, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export function definitionChecksum(definition: unknown): string {
  return createHash('sha256').update(stableStringify(definition)).digest('hex');
}
