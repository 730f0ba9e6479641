import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Tenant, TenantInput } from '../core/tenant.js';
import { type CatalogSource, readCatalog } from './catalog.js';
import { type DiscoverSource, discoverTenants } from './discover.js';
import { readInventoryFile } from './file.js';
import { applyTenantDefaults, type TenantDefaults } from './tenant-defaults.js';
import { validateInventory } from './validate.js';

export type { TenantDefaults } from './tenant-defaults.js';

/** An entry that takes its dialect and/or connection from the knexfile's `client` and `connection`. */
export type InheritingTenantInput = Omit<TenantInput, 'dialect' | 'connection'> &
  Partial<Pick<TenantInput, 'dialect' | 'connection'>>;

/** Where tenants come from: a list in the config, a JSON file, a catalog query, discovery, or a function. */
export type InventorySource =
  | readonly InheritingTenantInput[]
  | { file: string }
  | { catalog: CatalogSource }
  | { discover: DiscoverSource }
  | (() => Promise<readonly InheritingTenantInput[]> | readonly InheritingTenantInput[]);

/**
 * Lists and validates every tenant up front (the run needs the count before it starts). `defaults`
 * (a knexfile's `client` and `connection`) fill in what an entry leaves out.
 */
export async function loadInventory(
  source: InventorySource | undefined,
  baseDir = process.cwd(),
  defaults?: TenantDefaults,
): Promise<Tenant[]> {
  if (source === undefined) {
    throw new UsageError('no inventory: pass --tenants <file>, or set `inventory` in the configuration');
  }
  const validate = (entries: unknown, where: string) =>
    validateInventory(defaults ? applyTenantDefaults(entries, defaults) : entries, where, baseDir);
  if (typeof source === 'function') return validate(await source(), 'the inventory function');
  if (Array.isArray(source)) return validate(source, 'the configured inventory');
  const s = source as Exclude<InventorySource, readonly InheritingTenantInput[] | (() => unknown)>;
  if ('file' in s) {
    const file = resolve(baseDir, s.file);
    return readInventoryFile(file, defaults);
  }
  if ('catalog' in s) return validate(await readCatalog(s.catalog), 'the catalog query');
  if ('discover' in s) {
    const entries = await discoverTenants(s.discover, baseDir);
    if (entries.length === 0) {
      const d = s.discover;
      const what =
        d.dialect === 'sqlite'
          ? `no file matches ${d.glob} (in ${baseDir})`
          : `no database matches ${d.pattern}`;
      throw new UsageError(`discovery found no tenant: ${what}`);
    }
    return validate(entries, 'discovery');
  }
  throw new UsageError('inventory must be a list, { file }, { catalog }, { discover } or a function');
}
