// The password directories (dbfleet-pass-<pid>-*) of killed dbfleet processes are removed by the next
// one at once when their owner is certainly gone — its pid free, or reused by a process that started at
// another time — and never while the owner may still run: alive, or in another pid namespace sharing
// /tmp (judged by age alone, as before), or written by an older dbfleet without an owner file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sweepStalePassDirs } from '../../src/dialect/postgres/passfile.js';
import { currentProcess, type ProcessIdentity } from '../../src/util/process-alive.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-passdir-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

let n = 0;
/** A password directory as withPassfile makes it; `ageMs` back-dates it. */
function passDir(pid: number, owner: ProcessIdentity | null, ageMs = 0): string {
  const path = join(dir, `dbfleet-pass-${pid}-x${n++}`);
  mkdirSync(path, { mode: 0o700 });
  if (owner) writeFileSync(join(path, 'owner'), JSON.stringify(owner));
  writeFileSync(join(path, 'pgpass'), '*:*:*:*:secret\n', { mode: 0o600 });
  if (ageMs) {
    const then = new Date(Date.now() - ageMs);
    utimesSync(path, then, then);
  }
  return path;
}

describe('sweeping password directories', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  it('removes a dead owner at once and keeps one that may be alive', () => {
    const me = currentProcess();
    const dead = deadPid();
    const dirs = {
      alive: passDir(me.pid, me),
      reusedPid: passDir(me.pid, { ...me, startTime: '1' }),
      deadPid: passDir(dead, { ...me, pid: dead }),
      otherNamespace: passDir(dead, { ...me, pid: dead, pidNs: 'pid:[1]' }),
      noOwnerYoung: passDir(dead, null),
      noOwnerOld: passDir(dead, null, 11 * 60_000),
      otherNamespaceOld: passDir(dead, { ...me, pid: dead, pidNs: 'pid:[1]' }, 11 * 60_000),
    };
    const removed = new Set(sweepStalePassDirs(dir));
    const gone = Object.fromEntries(Object.entries(dirs).map(([k, path]) => [k, removed.has(path)]));
    assert.deepEqual(gone, {
      alive: false,
      reusedPid: true,
      deadPid: true,
      otherNamespace: false,
      noOwnerYoung: false,
      noOwnerOld: true,
      otherNamespaceOld: true,
    });
  });
});
