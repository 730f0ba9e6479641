import { createHash } from 'node:crypto';

/** Line endings and a BOM are not edits: a repo checked out on Windows must not refuse every tenant. */
export function normalizeSource(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function migrationChecksum(text: string): string {
  return createHash('sha256').update(normalizeSource(text)).digest('hex');
}
