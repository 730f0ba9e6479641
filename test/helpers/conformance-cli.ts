// Runs the two tools the conformance suite compares, each as its users run it: knex's own CLI and
// dbfleet's CLI, as child processes (so knex CLI runs of different cases go on side by side).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS = fileURLToPath(new URL('../conformance/corpus/', import.meta.url));
const KNEX_CLI = `${ROOT}node_modules/knex/bin/cli.js`;
const DBFLEET_CLI = `${ROOT}bin/dbfleet.js`;

/** Two cores: more processes at once only make each slower. */
const processes = pLimit(Number(process.env.CONFORMANCE_PROCESSES ?? 4));

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>, cwd: string): Promise<ProcessResult> {
  return processes(
    () =>
      new Promise<ProcessResult>((resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd,
          env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        // A hung child must fail the case, not stall the suite; the bound is generous because a
        // shared 2-core CI box under load can take a minute to start a process.
        const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr });
        });
      }),
  );
}

/**
 * knex's CLI. knex 3.3.0 loads a migration with `require()`, or with `import()` when the file is ESM
 * (.mjs, or .js/.ts in a "type": "module" package); a .ts file then needs a loader for both paths.
 * `--require tsx/cjs` covers only require(): `.ts` under "type": "module" fails with
 * ERR_UNKNOWN_FILE_EXTENSION. `--import tsx` registers tsx's ESM and CommonJS hooks, so it is used.
 */
export function knexCli(
  knexfile: string,
  args: string[],
  env: Record<string, string>,
): Promise<ProcessResult> {
  const loader = holdsTypeScript(dirname(knexfile)) ? ['--import', 'tsx'] : [];
  return run([...loader, KNEX_CLI, ...args, '--knexfile', knexfile], env, ROOT);
}

/**
 * Only a project with a .ts file needs the loader; knex runs the others as their users run it, plain
 * node. tsx's hooks see every module a process loads: a knex run costs ~3× the CPU with them, and the
 * conformance suites were CI's biggest CPU users.
 */
const typeScriptIn = new Map<string, boolean>();
function holdsTypeScript(dir: string): boolean {
  let holds = typeScriptIn.get(dir);
  if (holds === undefined) {
    holds = readdirSync(dir, { recursive: true }).some((f) => /\.(c|m)?ts$/.test(String(f)));
    typeScriptIn.set(dir, holds);
  }
  return holds;
}

/** dbfleet's CLI with a JSON report; `cwd` is a scratch folder so no stray knexfile or journal is found. */
export function dbfleetCli(args: string[], env: Record<string, string>, cwd: string): Promise<ProcessResult> {
  return run([DBFLEET_CLI, ...args, '--json'], env, cwd);
}

export interface JsonTenant {
  id: string;
  status: string;
  applied?: string[];
  error?: { code: string; message: string };
}

export interface JsonReport {
  ok: boolean;
  tenants: JsonTenant[];
}

/** The `--json` report, or an error that shows what the process printed instead. */
export function parseReport(result: ProcessResult): JsonReport {
  try {
    return JSON.parse(result.stdout) as JsonReport;
  } catch {
    throw new Error(
      `dbfleet printed no JSON report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`.trim(),
    );
  }
}

/**
 * `knex migrate:list` output without what differs between any two runs (the working-directory and
 * module-loader notices), so the lists of two databases compare as text.
 */
export function normalizeMigrateList(output: string): string {
  return output
    .split('\n')
    .filter((line) => !/^(Working directory changed|Requiring external module|Using environment)/.test(line))
    .join('\n')
    .trim();
}
