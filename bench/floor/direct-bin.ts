import { DEBIAN_BIN_ROOT, unwrappedToolPath } from '../../src/dialect/postgres/debian-wrapper.js';

/**
 * The floors run the tools as a script would, by name: on Debian and Ubuntu that is the pg_wrapper
 * Perl script, which dbfleet skips (src/dialect/postgres/debian-wrapper.ts). The direct floor runs the
 * binaries pg_wrapper would pick, so its ratio shows dbfleet's own overhead alone. Undefined where the
 * tools are not behind pg_wrapper: the plain floor is then the direct one.
 */
export function directBin(): ((tool: string) => string) | undefined {
  const tools = ['pg_dump', 'pg_restore', 'psql'].map(
    (t) => [t, unwrappedToolPath(t, { path: process.env.PATH ?? '', binRoot: DEBIAN_BIN_ROOT })] as const,
  );
  if (tools.some(([, path]) => path === undefined)) return undefined;
  const paths = new Map(tools as (readonly [string, string])[]);
  return (tool) => paths.get(tool) ?? tool;
}
