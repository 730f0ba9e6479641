import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { jsonErrorPlace } from '../util/json-syntax.js';
import { applyTenantDefaults, type TenantDefaults } from './tenant-defaults.js';
import { validateInventory } from './validate.js';

/** Parses inventory JSON text: an array of tenants or `{ "tenants": [...] }`; a BOM and CRLF are fine. */
export function parseInventoryText(text: string, source: string): unknown[] {
  let data: unknown;
  const json = text.replace(/^\uFEFF/, '');
  try {
    data = JSON.parse(json);
  } catch (err) {
    const { line, column, reason } = jsonErrorPlace(json, err instanceof Error ? err.message : String(err));
    throw new UsageError(`${source} is not valid JSON at line ${line}, column ${column}: ${reason}`);
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && 'tenants' in data) {
    data = (data as { tenants: unknown }).tenants;
  }
  if (!Array.isArray(data))
    throw new UsageError(`${source}: expected a JSON array of tenants or { "tenants": [...] }`);
  return data;
}

/** Reads and validates an inventory file; entries that leave out dialect or connection take `defaults`. */
export function readInventoryFile(path: string, defaults?: TenantDefaults): Tenant[] {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read the inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const entries = parseInventoryText(text, file);
  return validateInventory(defaults ? applyTenantDefaults(entries, defaults) : entries, file, dirname(file));
}
