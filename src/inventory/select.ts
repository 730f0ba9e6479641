import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';

export interface TenantSelection {
  /** Only these ids (an unknown id is a usage error). */
  tenant?: readonly string[];
  /** Only tenants carrying at least one of these tags (a tag no tenant carries is a usage error). */
  tag?: readonly string[];
  /** Never these ids (an unknown id is a usage error too: a typo must not silently include a tenant). */
  exclude?: readonly string[];
}

export function selectTenants(all: readonly Tenant[], selection: TenantSelection = {}): Tenant[] {
  const byId = new Map(all.map((t) => [t.id, t]));
  const unknown = [...(selection.tenant ?? []), ...(selection.exclude ?? [])].filter((id) => !byId.has(id));
  if (unknown.length) {
    throw new UsageError(`unknown tenant id(s): ${[...new Set(unknown)].join(', ')} — not in the inventory`);
  }
  // A tag no tenant carries is a typo as surely as an unknown id: `--tag eu --tag canray` selected the eu
  // tenants alone, silently leaving out the ones meant.
  const carried = new Set(all.flatMap((t) => t.tags));
  const unknownTags = (selection.tag ?? []).filter((tag) => !carried.has(tag));
  if (unknownTags.length) {
    throw new UsageError(
      `unknown tag(s): ${[...new Set(unknownTags)].join(', ')} — no tenant in the inventory carries it`,
    );
  }
  const only = selection.tenant?.length ? new Set(selection.tenant) : undefined;
  const tags = selection.tag?.length ? new Set(selection.tag) : undefined;
  const exclude = new Set(selection.exclude ?? []);
  const selected = all.filter(
    (t) => (!only || only.has(t.id)) && (!tags || t.tags.some((tag) => tags.has(tag))) && !exclude.has(t.id),
  );
  if (selected.length === 0) throw new UsageError('the selection matches no tenant');
  return selected;
}
