import { resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { type CatalogSource, readCatalog } from './catalog.js';
import { type DiscoverSource, discoverTenants } from './discover.js';
import { readInventoryFile } from './file.js';
import type { Tenant, TenantInput } from './tenant.js';
import { validateInventory } from './validate.js';

/** Where tenants come from: a list in the config, a JSON file, a catalog query, discovery, or a function. */
export type InventorySource =
  | readonly TenantInput[]
  | { file: string }
  | { catalog: CatalogSource }
  | { discover: DiscoverSource }
  | (() => Promise<readonly TenantInput[]> | readonly TenantInput[]);

/** Lists and validates every tenant up front (the run needs the count before it starts). */
export async function loadInventory(
  source: InventorySource | undefined,
  baseDir = process.cwd(),
): Promise<Tenant[]> {
  if (source === undefined) {
    throw new UsageError('no inventory: pass --tenants <file>, or set `inventory` in the configuration');
  }
  if (typeof source === 'function')
    return validateInventory(await source(), 'the inventory function', baseDir);
  if (Array.isArray(source)) return validateInventory(source, 'the configured inventory', baseDir);
  const s = source as Exclude<InventorySource, readonly TenantInput[] | (() => unknown)>;
  if ('file' in s) return readInventoryFile(resolve(baseDir, s.file));
  if ('catalog' in s) return validateInventory(await readCatalog(s.catalog), 'the catalog query', baseDir);
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
    return validateInventory(entries, 'discovery', baseDir);
  }
  throw new UsageError('inventory must be a list, { file }, { catalog }, { discover } or a function');
}
