import { median } from './measure.js';
import type { SuiteResult } from './types.js';

export interface TargetResult {
  target: string;
  limit: string;
  measured: string;
  /** null: not measured (the N it is defined at was not run, or the feature has not landed). */
  pass: boolean | null;
  note?: string;
}

const TARGET_N = 1000;
const fmt = (x: number) => `${x.toFixed(2)}×`;

function at(suites: readonly SuiteResult[], suite: SuiteResult['suite'], n: number) {
  return suites.find((s) => s.suite === suite && s.n === n);
}

/** The biggest N a suite ran at; targets defined at N = 1000 are shown there when 1000 was not run. */
function largest(suites: readonly SuiteResult[], suite: SuiteResult['suite']) {
  return suites.filter((s) => s.suite === suite).sort((a, b) => b.n - a.n)[0];
}

function ratioTarget(
  suites: readonly SuiteResult[],
  suite: SuiteResult['suite'],
  ratio: string,
  target: string,
  limit: number,
  atLeast = false,
): TargetResult {
  const exact = at(suites, suite, TARGET_N);
  const result = exact ?? largest(suites, suite);
  const value = result?.ratios[ratio];
  const limitText = `${atLeast ? '≥' : '≤'} ${limit}× at N = ${TARGET_N}`;
  if (value === undefined) return { target, limit: limitText, measured: '—', pass: null };
  const ok = atLeast ? value >= limit : value <= limit;
  if (!exact)
    return {
      target,
      limit: limitText,
      measured: `${fmt(value)} at N = ${result!.n}`,
      pass: null,
      note: `N = ${TARGET_N} not run (${ok ? 'would pass' : 'would fail'} at N = ${result!.n})`,
    };
  return { target, limit: limitText, measured: fmt(value), pass: ok };
}

export function evaluateTargets(suites: readonly SuiteResult[], concurrency: number): TargetResult[] {
  const targets = [
    ratioTarget(suites, 'migrate', 'dbfleet/floor', 'migrate vs floor (psql -f)', 1.1),
    ratioTarget(suites, 'noop', 'migrate/floor', 'no-op migrate vs floor', 1.5),
    ratioTarget(suites, 'noop', 'status/floor', 'no-op status vs floor', 1.5),
    // The floor a user could write in twenty lines (bench/floor/twenty-lines.mjs), start-up included.
    ratioTarget(suites, 'noop', 'migrate/twentyLines', 'no-op migrate vs twenty-line floor', 1.5),
    ratioTarget(suites, 'noop', 'status/twentyLines', 'no-op status vs twenty-line floor', 1.5),
    ratioTarget(suites, 'migrate', 'knexCliLoop/dbfleet', 'faster than the knex CLI loop', 50, true),
  ];
  // Say when a target is out of reach for any tool on this machine: even the floor is not 50× the loop.
  const cliTarget = targets.at(-1)!;
  // The same loop when nothing is pending, where its cost is all process start-up (informational twin).
  targets.push(
    ratioTarget(
      suites,
      'noop',
      'knexCliLoop/migrate',
      'faster than the knex CLI loop, nothing pending',
      50,
      true,
    ),
  );
  const withCeiling = at(suites, 'migrate', TARGET_N) ?? largest(suites, 'migrate');
  const ceiling = withCeiling?.ratios['knexCliLoop/floor'];
  if (ceiling !== undefined) {
    const text = `ceiling here: the floor itself is ${fmt(ceiling)} the loop at N = ${withCeiling!.n}`;
    cliTarget.note = cliTarget.note ? `${cliTarget.note}; ${text}` : text;
  }

  targets.push(downtimeTarget(suites));
  targets.push(queueTarget(suites));
  targets.push(...scaleTargets(suites, 'scale'));
  if (suites.some((s) => s.suite === 'scale-schemas')) targets.push(...scaleTargets(suites, 'scale-schemas'));

  const rssAt = (n: number) => {
    const runs = at(suites, 'migrate', n)?.measurements.dbfleet?.maxRssKb ?? [];
    return runs.length ? median(runs) : undefined;
  };
  const small = rssAt(50);
  const bigN = at(suites, 'migrate', TARGET_N) ? TARGET_N : largest(suites, 'migrate')?.n;
  const big = bigN !== undefined && bigN !== 50 ? rssAt(bigN) : undefined;
  if (small === undefined || big === undefined) {
    targets.push({
      target: 'peak RSS, N = 1000 vs N = 50',
      limit: '≤ 1.3×',
      measured: '—',
      pass: null,
      note: 'needs migrate runs at N = 50 and a larger N',
    });
  } else {
    const ratio = big / small;
    const text = `${fmt(ratio)} (${(big / 1024).toFixed(0)} MiB at N = ${bigN} / ${(small / 1024).toFixed(0)} MiB at N = 50)`;
    targets.push(
      bigN === TARGET_N
        ? { target: 'peak RSS, N = 1000 vs N = 50', limit: '≤ 1.3×', measured: text, pass: ratio <= 1.3 }
        : {
            target: 'peak RSS, N = 1000 vs N = 50',
            limit: '≤ 1.3×',
            measured: text,
            pass: null,
            note: `N = ${TARGET_N} not run`,
          },
    );
  }

  // Issue 18: the pipeline around the raw tools, at N = 200 — against the tools run by name (through
  // Debian's pg_wrapper where installed) and against the binaries themselves.
  for (const [suite, limit] of [
    ['backup', 1.1],
    ['upgrade', 1.15],
  ] as const) {
    const result = at(suites, suite, 200);
    for (const [ratio, against] of [
      ['dbfleet/floor', 'the tools by name'],
      ['dbfleet/floorDirect', 'the versioned binaries'],
    ] as const) {
      const value = result?.ratios[ratio];
      targets.push({
        target: `${suite} vs ${against}`,
        limit: `≤ ${limit}× at N = 200`,
        measured: value === undefined ? '—' : fmt(value),
        pass: value === undefined ? null : value <= limit,
      });
    }
  }

  // Every dbfleet command measured gets its own line: the cap must hold whatever the command.
  const commands: Array<[string, SuiteResult['suite'], string]> = [
    ['migrate', 'migrate', 'dbfleet'],
    ['migrate (no-op)', 'noop', 'migrate'],
    ['status', 'noop', 'status'],
    ['backup', 'backup', 'dbfleet'],
    ['upgrade', 'upgrade', 'dbfleet'],
  ];
  for (const [name, suite, key] of commands) {
    const peaks = suites
      .filter((s) => s.suite === suite)
      .flatMap((s) => s.measurements[key]?.peakConnections ?? []);
    if (!peaks.length) continue;
    const peak = Math.max(...peaks);
    targets.push({
      target: `peak connections, dbfleet ${name} (all N, all runs)`,
      limit: `≤ ${concurrency + 2} (concurrency + 2)`,
      measured: String(peak),
      pass: peak <= concurrency + 2,
    });
  }
  return targets;
}

/** A customer's maintenance window during an upgrade: p95 ≤ 1.5 s at N = 1000, concurrency 8. */
function downtimeTarget(suites: readonly SuiteResult[]): TargetResult {
  const target = 'upgrade: p95 maintenance window';
  const limit = `≤ 1.5 s at N = ${TARGET_N}, concurrency 8`;
  const result = at(suites, 'downtime', TARGET_N) ?? largest(suites, 'downtime');
  const p95 = result?.ratios['dbfleet: window p95 (s)'];
  if (result === undefined || p95 === undefined) return { target, limit, measured: '—', pass: null };
  const wall = (result.measurements.dbfleet?.medianMs ?? 0) / 1000;
  const measured = `${p95.toFixed(2)} s (run: ${wall.toFixed(1)} s) at N = ${result.n}`;
  return result.n === TARGET_N
    ? { target, limit, measured, pass: p95 <= 1.5 }
    : { target, limit, measured, pass: null, note: `N = ${TARGET_N} not run` };
}

/** Three workers × concurrency 4 against one runner at concurrency 12, same fleet: ≤ 1.10× at N = 1000. */
function queueTarget(suites: readonly SuiteResult[]): TargetResult {
  const target = 'migrate --queue (3 workers × 4) vs one runner at 12';
  const limit = `≤ 1.10× at N = ${TARGET_N}`;
  const result = at(suites, 'queue', TARGET_N) ?? largest(suites, 'queue');
  const ratio = result?.ratios['queued vs one runner'];
  if (result === undefined || ratio === undefined) return { target, limit, measured: '—', pass: null };
  const cpu = result.ratios['coordinator: CPU ms per tenant'];
  const measured = `${fmt(ratio)} at N = ${result.n}${cpu !== undefined ? `; coordinator CPU ${cpu.toFixed(1)} ms/tenant` : ''}`;
  return result.n === TARGET_N
    ? { target, limit, measured, pass: ratio <= 1.1 }
    : { target, limit, measured, pass: null, note: `N = ${TARGET_N} not run` };
}

/**
 * From 1,000 to 10,000 tenants (SQLite files: `scale`; schemas of a few PostgreSQL databases:
 * `scale-schemas`): per-tenant time ≤ 1.15×, peak RSS ≤ 1.3×, journal bytes flat.
 */
function scaleTargets(suites: readonly SuiteResult[], suite: 'scale' | 'scale-schemas'): TargetResult[] {
  const small = at(suites, suite, 1000);
  const big = at(suites, suite, 10_000);
  const perTenant = (key: string, limit: number) => {
    const target = `${suite}: ${key}, N = 10000 vs 1000`;
    const a = small?.ratios[key];
    const b = big?.ratios[key];
    if (a === undefined || b === undefined)
      return {
        target,
        limit: `≤ ${limit}×`,
        measured: '—',
        pass: null,
        note: `needs ${suite} runs at N = 1000 and 10000`,
      };
    const ratio = b / a;
    return {
      target,
      limit: `≤ ${limit}×`,
      measured: `${fmt(ratio)} (${b.toFixed(2)} vs ${a.toFixed(2)})`,
      pass: ratio <= limit,
    };
  };
  const rss = (system: 'migrate' | 'status') => {
    const target = `${suite}: ${system} peak RSS, N = 10000 vs 1000`;
    const a = small?.measurements[system]?.maxRssKb ?? [];
    const b = big?.measurements[system]?.maxRssKb ?? [];
    if (!a.length || !b.length)
      return {
        target,
        limit: '≤ 1.3×',
        measured: '—',
        pass: null,
        note: `needs ${suite} runs at N = 1000 and 10000`,
      };
    const ratio = median(b) / median(a);
    return {
      target,
      limit: '≤ 1.3×',
      measured: `${fmt(ratio)} (${(median(b) / 1024).toFixed(0)} vs ${(median(a) / 1024).toFixed(0)} MiB)`,
      pass: ratio <= 1.3,
    };
  };
  return [
    perTenant('migrate: ms per tenant', 1.15),
    perTenant('status: ms per tenant', 1.15),
    perTenant('journal: bytes per tenant', 1.15),
    rss('migrate'),
    rss('status'),
  ];
}
