import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import type pg from 'pg';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  postgres: string;
  /** Server settings that move the figures (durability, memory, connection cap). */
  postgresSettings: Record<string, string>;
  pgTools: string;
  gitCommit?: string;
  /** Other sessions on the server when the bench started: a busy server skews every figure. */
  otherSessionsAtStart: number;
}

const SETTINGS = [
  'max_connections',
  'shared_buffers',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'max_wal_size',
];

function quiet(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export async function machineInfo(admin: pg.Pool): Promise<MachineInfo> {
  const version = await admin.query<{ v: string }>('select version() as v');
  const settings = await admin.query<{ name: string; setting: string; unit: string | null }>(
    'select name, setting, unit from pg_settings where name = any($1)',
    [SETTINGS],
  );
  const others = await admin.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and application_name not like 'dbfleet-bench%'",
  );
  const dirty = quiet('git', ['status', '--porcelain']);
  const commit = quiet('git', ['rev-parse', '--short', 'HEAD']);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    postgres: version.rows[0]!.v.split(' on ')[0]!,
    postgresSettings: Object.fromEntries(
      settings.rows.map((s) => [s.name, s.unit ? `${s.setting} (${s.unit})` : s.setting]),
    ),
    pgTools: quiet('pg_dump', ['--version']) ?? 'pg_dump not found',
    ...(commit ? { gitCommit: dirty ? `${commit} + uncommitted changes` : commit } : {}),
    otherSessionsAtStart: others.rows[0]!.n,
  };
}
