import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';

export interface Wave {
  index: number;
  label: string;
  tenants: Tenant[];
  /** The canary wave: any failure in it stops the run before the next wave. */
  canary?: boolean;
}

/** `5` → 5 tenants, `25%` → a quarter of the selection (at least one), `rest` → everything left. */
export type WaveSize = { kind: 'count'; n: number } | { kind: 'percent'; p: number } | { kind: 'rest' };

export function parseWaveSize(text: string): WaveSize {
  const t = text.trim().toLowerCase();
  if (t === 'rest' || t === 'all') return { kind: 'rest' };
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p <= 0 || p > 100)
      throw new UsageError(`waves (--waves) wave size ${text}: a percentage must be in (0, 100]`);
    return { kind: 'percent', p };
  }
  if (/^\d+$/.test(t) && Number(t) > 0) return { kind: 'count', n: Number(t) };
  throw new UsageError(`waves (--waves) wave size "${text}": use a count (5), a percentage (25%) or rest`);
}

/** `--max-failures 3` or `10%` (of the selection): how many failed tenants the run tolerates. */
export function parseBudget(text: string | number | undefined, total: number): number {
  if (text === undefined) return 0;
  const t = String(text).trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) return Math.floor((Number(pct[1]) / 100) * total);
  if (/^\d+$/.test(t)) return Number(t);
  throw new UsageError(`maxFailures (--max-failures) "${text}": use a count (3) or a percentage (10%)`);
}

export interface WavePlanInput {
  tenants: readonly Tenant[];
  /** `--canary <n|tag>`: the first n of the selection, or the tenants with that tag. */
  canary?: string;
  /** `--waves 5,25%,rest`: the waves after the canary. */
  waves?: string;
}

/**
 * Splits the selection into waves, in inventory order. Percentages are of the whole selection. Tenants
 * left after the listed waves form a last wave, so nobody is silently left out.
 */
export function planWaves(input: WavePlanInput): Wave[] {
  let remaining = [...input.tenants];
  const total = remaining.length;
  const waves: Wave[] = [];
  const push = (label: string, tenants: Tenant[], canary = false) => {
    if (tenants.length)
      waves.push({ index: waves.length + 1, label, tenants, ...(canary ? { canary } : {}) });
  };
  if (input.canary !== undefined && input.canary !== '') {
    const canary = input.canary.trim();
    let chosen: Tenant[];
    if (/^\d+$/.test(canary)) chosen = remaining.slice(0, Number(canary));
    else {
      chosen = remaining.filter((t) => t.tags.includes(canary));
      if (chosen.length === 0)
        throw new UsageError(`canary (--canary) ${canary}: no selected tenant has that tag`);
    }
    const ids = new Set(chosen.map((t) => t.id));
    remaining = remaining.filter((t) => !ids.has(t.id));
    push(`canary: ${canary}`, chosen, true);
  }
  const sizes = (input.waves ?? 'rest')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(parseWaveSize);
  for (const size of sizes) {
    if (remaining.length === 0) break;
    const n =
      size.kind === 'rest'
        ? remaining.length
        : size.kind === 'count'
          ? size.n
          : Math.max(1, Math.ceil((size.p / 100) * total));
    const label = size.kind === 'rest' ? 'rest' : size.kind === 'count' ? String(size.n) : `${size.p}%`;
    push(label, remaining.slice(0, n));
    remaining = remaining.slice(n);
  }
  push('rest', remaining);
  return waves;
}
