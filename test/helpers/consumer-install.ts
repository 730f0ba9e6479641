// Packs this repository as npm would publish it and installs the tarball into fresh consumer projects,
// offline from npm's cache where it can (test/integration/consumer-package.test.ts).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

export const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
}

export const ownPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * `npm pack` of the repository as it is now. dist/ is compiled into a staging copy — the shared dist/
 * is left alone — by esbuild (what tsx runs the tests with) rather than tsc: the same JavaScript in a
 * second instead of most of a minute (the typecheck is its own CI step; no .d.ts are packed here).
 */
export async function packRepository(work: string): Promise<string> {
  const stage = join(work, 'stage');
  mkdirSync(stage, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(stage, 'package.json'));
  for (const entry of ownPackage.files) {
    if (entry !== 'dist') cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  }
  await build({
    entryPoints: sourceFiles(join(ROOT, 'src')),
    outdir: join(stage, 'dist'),
    outbase: join(ROOT, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: stage,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  return join(work, packed!.filename);
}

/**
 * A lockfile for a project that depends on the tarball only: dbfleet's dependency tree is the one this
 * repository's lockfile pins (its non-dev entries), so `npm ci` takes every package from npm's cache
 * instead of asking the registry for ~180 package documents.
 */
function consumerLockfile(project: { name: string; version: string }, tarball: string, spec: string): string {
  const { name, version } = project;
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name, version, dependencies: { dbfleet: spec } },
    'node_modules/dbfleet': {
      version: ownPackage.version,
      resolved: spec,
      integrity,
      dependencies: ownPackage.dependencies,
      bin: ownPackage.bin,
      engines: ownPackage.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path === '' || entry.dev) continue;
    const { devOptional, ...rest } = entry;
    packages[path] = devOptional ? { ...rest, optional: true } : rest;
  }
  return JSON.stringify({ name, version, lockfileVersion: 3, requires: true, packages });
}

/**
 * A fresh project (`type` as `npm init` writes it, or "module") with the tarball installed. Install
 * scripts are skipped: better-sqlite3 would compile from source for a minute; its native build is
 * linked from this repository's copy (same locked version) instead.
 */
export async function installConsumer(
  dir: string,
  tarball: string,
  pkg: { name: string; version: string; type: 'commonjs' | 'module' },
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const spec = `file:${relative(dir, tarball)}`;
  const manifest = { ...pkg, private: true, dependencies: { dbfleet: spec } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), consumerLockfile(pkg, tarball, spec));
  await run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    timeout: 120_000,
  });
  symlinkSync(
    join(ROOT, 'node_modules/better-sqlite3/build'),
    join(dir, 'node_modules/better-sqlite3/build'),
    'dir',
  );
}

/**
 * A second fresh project with the same tarball: the first one's `node_modules` copied in, which is what
 * `npm ci` of the same lockfile makes (only the root's name and type differ), for a fraction of the
 * CPU — the suite runs on a busy 2-core machine under a time limit.
 */
export function installLike(
  dir: string,
  installed: string,
  tarball: string,
  pkg: { name: string; version: string; type: 'commonjs' | 'module' },
): void {
  mkdirSync(dir, { recursive: true });
  const spec = `file:${relative(dir, tarball)}`;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ ...pkg, private: true, dependencies: { dbfleet: spec } }, null, 2),
  );
  writeFileSync(join(dir, 'package-lock.json'), consumerLockfile(pkg, tarball, spec));
  cpSync(join(installed, 'node_modules'), join(dir, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
  });
}
