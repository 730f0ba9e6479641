import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import type { Tenant } from './tenant.js';
import { validateInventory } from './validate.js';

/** Parses inventory JSON text: an array of tenants or `{ "tenants": [...] }`; a BOM and CRLF are fine. */
export function parseInventoryText(text: string, source: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && 'tenants' in data) {
    data = (data as { tenants: unknown }).tenants;
  }
  if (!Array.isArray(data))
    throw new UsageError(`${source}: expected a JSON array of tenants or { "tenants": [...] }`);
  return data;
}

export function readInventoryFile(path: string): Tenant[] {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read the inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return validateInventory(parseInventoryText(text, file), file, dirname(file));
}
