import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawnTool } from '../../src/dialect/postgres/pg-tools.js';
import { execFailureOf } from '../../src/util/parent-death.js';
import { isRunning } from '../helpers/processes.js';

const pgTools = fileURLToPath(new URL('../../src/dialect/postgres/pg-tools.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-pdeath-'));
const survivors: number[] = [];
after(() => {
  for (const pid of survivors) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts a dbfleet-like process that runs `sleep 300` through spawnTool, SIGKILLs it once the sleep
 * runs, and says whether the sleep is still alive 3 s later.
 */
async function sleepOutlivesKilledParent(env: NodeJS.ProcessEnv): Promise<boolean> {
  const script = `
    const { spawnTool } = await import(${JSON.stringify(pgTools)});
    void spawnTool('sleep', ['300'], process.env, new AbortController().signal, (pid) => console.log(pid));`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const toolPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    parent.once('exit', () => reject(new Error('the parent exited before the tool started')));
  });
  survivors.push(toolPid);
  // The exec of setpriv into sleep happens just after the spawn event.
  for (let i = 0; i < 100 && !readFileSync(`/proc/${toolPid}/cmdline`, 'utf8').startsWith('sleep'); i++)
    await sleep(10);
  const exited = new Promise((resolve) => parent.once('exit', resolve));
  parent.kill('SIGKILL');
  await exited;
  for (let i = 0; i < 30 && isRunning(toolPid); i++) await sleep(100);
  return isRunning(toolPid);
}

describe('tools die with dbfleet', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  test('a tool is stopped when dbfleet is killed with SIGKILL', { timeout: 30_000 }, async () => {
    assert.equal(await sleepOutlivesKilledParent(process.env), false);
  });

  test('…which it would outlive without the parent-death signal (what the test above guards)', {
    timeout: 30_000,
  }, async () => {
    assert.equal(await sleepOutlivesKilledParent({ ...process.env, DBFLEET_NO_PDEATHSIG: '1' }), true);
  });

  test('a missing or non-executable tool is still reported as such', async () => {
    const signal = new AbortController().signal;
    await assert.rejects(
      spawnTool('dbfleet-no-such-tool', [], process.env, signal),
      (
        err: Error & {
          code?: string;
        },
      ) => {
        assert.equal(err.code, 'TOOL_NOT_FOUND');
        assert.match(err.message, /^dbfleet-no-such-tool not found: install the PostgreSQL client tools/);
        return true;
      },
    );
    const notExecutable = join(dir, 'pg_dump');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    await assert.rejects(
      spawnTool(notExecutable, [], process.env, signal),
      (
        err: Error & {
          code?: string;
        },
      ) => {
        assert.equal(err.code, 'TOOL_FAILED');
        assert.match(err.message, /could not be started: .*(Permission denied|EACCES)/);
        return true;
      },
    );
  });

  test('a tool that itself exits 127 is a result, not a missing tool', async () => {
    const tool = join(dir, 'exits-127');
    writeFileSync(tool, '#!/bin/sh\necho "command not found" >&2\nexit 127\n');
    chmodSync(tool, 0o755);
    const run = await spawnTool(tool, [], process.env, new AbortController().signal);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /command not found/);
  });
});

describe('execFailureOf', () => {
  const wrapped = { command: 'setpriv', args: [], wrapped: true };
  test('reads setpriv’s exec failure', () => {
    const stderr = 'setpriv: failed to execute pg_dump: No such file or directory\n';
    assert.deepEqual(execFailureOf(wrapped, 127, stderr), {
      notFound: true,
      message: 'No such file or directory',
    });
    assert.deepEqual(
      execFailureOf(wrapped, 126, 'setpriv: failed to execute /x/pg_dump: Permission denied'),
      {
        notFound: false,
        message: 'Permission denied',
      },
    );
  });
  test('leaves the tool’s own exit codes alone', () => {
    assert.equal(execFailureOf(wrapped, 1, 'setpriv: failed to execute pg_dump: x'), undefined);
    assert.equal(execFailureOf(wrapped, 127, 'pg_dump: error: connection failed'), undefined);
    assert.equal(
      execFailureOf({ ...wrapped, wrapped: false }, 127, 'setpriv: failed to execute pg_dump: x'),
      undefined,
    );
  });
});
