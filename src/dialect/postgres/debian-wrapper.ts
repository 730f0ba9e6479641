import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

/**
 * Debian and Ubuntu install `pg_dump` and `pg_restore` as links to `pg_wrapper`, a Perl script that
 * picks a PostgreSQL version and execs that version's binary: ~20 ms of CPU and up to 80 ms of wall
 * time per start on this class of machine, as much as a small tenant's `pg_restore --list` itself.
 * When the connection names a host (PGHOST, which dbfleet always sets), pg_wrapper's choice is fixed:
 * the newest installed version that has the program (`get_newest_version` in PgCommon.pm), run with
 * PGSYSCONFDIR defaulting to /etc/postgresql-common. dbfleet makes that same choice once per process
 * and runs the binary itself. A tool path set in the options, or a `pg_dump` on PATH that is not the
 * wrapper, is used as it is.
 */
export interface WrapperLayout {
  /** PATH to look the tool up in. */
  path: string;
  /** Where the versioned binaries live (PgCommon's $binroot). */
  binRoot: string;
}

/** PgCommon's $binroot: where Debian's versioned PostgreSQL binaries live. */
export const DEBIAN_BIN_ROOT = '/usr/lib/postgresql';
/** pg_wrapper sets it when unset: libpq reads pg_service.conf from there. */
export const WRAPPER_SYSCONFDIR = '/etc/postgresql-common';

/** The versioned binary pg_wrapper would run for `tool`, or undefined when `tool` is not the wrapper. */
export function unwrappedToolPath(tool: string, layout: WrapperLayout): string | undefined {
  const found = onPath(tool, layout.path);
  if (!found) return undefined;
  let target: string;
  try {
    target = realpathSync(found);
  } catch {
    return undefined;
  }
  if (basename(target) !== 'pg_wrapper') return undefined;
  let entries: string[];
  try {
    entries = readdirSync(layout.binRoot);
  } catch {
    return undefined;
  }
  const versions = entries
    .filter((e) => /^\d+(\.\d+)?$/.test(e) && executable(join(layout.binRoot, e, 'bin', tool)))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest === undefined ? undefined : join(layout.binRoot, newest, 'bin', tool);
}

function onPath(tool: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
