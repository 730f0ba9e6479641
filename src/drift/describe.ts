import { describeDifference } from './compare.js';
import type { DriftDetails, DriftReport } from './fleet.js';
import type { VersionGroups } from './groups.js';

/** Tenant ids in a sentence: ten by name, the rest as a count. */
export function idList(ids: readonly string[], max = 10): string {
  return ids.length <= max
    ? ids.join(', ')
    : `${ids.slice(0, max).join(', ')} … and ${ids.length - max} more`;
}

const versionName = (v: string | null) => v ?? '(no migration applied)';
/** A version's heading: with its dialect when the fleet mixes them. */
const versionOf = (v: VersionGroups) => `${versionName(v.version)}${v.dialect ? ` (${v.dialect})` : ''}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What `dbfleet drift` prints under its table: per version its groups (the majority marked), then per
 * outlier group the tenants in it and how they differ from the majority — one diff per group, since
 * tenants that drifted the same way share a fingerprint.
 */
export function driftLines(report: DriftReport): string[] {
  const { versions, found } = report.drift;
  const read = versions.reduce((n, v) => n + v.tenants, 0);
  if (read === 0) return ['drift: no tenant could be read'];
  const outliers = versions.reduce(
    (n, v) => n + v.groups.slice(1).reduce((m, g) => m + g.tenants.length, 0),
    0,
  );
  const lines = [
    found
      ? `drift: ${outliers} of ${plural(read, 'tenant')} ${outliers === 1 ? 'differs' : 'differ'} from the majority on their version`
      : `no drift: ${plural(read, 'tenant')}, each the same as the others on its version`,
  ];
  for (const v of versions) {
    lines.push('', `${versionOf(v)}: ${plural(v.tenants, 'tenant')}`);
    const width = Math.max(...v.groups.map((g) => plural(g.tenants.length, 'tenant').length));
    for (const g of v.groups) {
      const who = g.majority
        ? `majority${v.tie ? ' (a tie: the group of the first tenant in the inventory)' : ''}`
        : idList(g.tenants);
      lines.push(
        `  group ${g.group}  ${plural(g.tenants.length, 'tenant').padEnd(width)}  ${g.fingerprint}  ${who}`,
      );
    }
  }
  const byId = new Map(report.tenants.map((t) => [t.id, t.details as Partial<DriftDetails>]));
  for (const v of versions) {
    for (const g of v.groups.slice(1)) {
      const differences = byId.get(g.tenants[0]!)?.differences ?? [];
      lines.push('', `${idList(g.tenants)} (group ${g.group} of ${versionOf(v)}):`);
      for (const d of differences) lines.push(`  ${describeDifference(d)}`);
    }
  }
  return lines;
}
