import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Whether a process with this pid exists on this machine: signal 0 checks without sending anything.
 * EPERM means it exists but belongs to another user. Used to tell files a killed dbfleet left behind
 * (their names carry its pid) from those of a run still going.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who a process is, well enough to tell later whether it is still running. A pid alone is not enough:
 * pids are reused, so a dead dbfleet's pid may belong to some other process by the time we look. On Linux
 * the kernel's start time of the process (`/proc/<pid>/stat`, field 22) tells the original from a reuse,
 * and the boot id and pid namespace say whether our view of pids is the same as the owner's (containers
 * sharing a /tmp or a journal see different pids).
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Clock ticks after boot when the process started (Linux only). */
  startTime?: string;
  bootId?: string;
  /** The pid namespace, e.g. `pid:[4026531836]` (Linux only). */
  pidNs?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Start time and state of a pid from /proc (undefined: no such process, or no /proc). */
function procStat(pid: number): { startTime: string; zombie: boolean } | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[19]; // field 22 of the whole line
  if (!startTime) return undefined;
  return { startTime, zombie: fields[0] === 'Z' };
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid'); // `pid:[inode]`
  } catch {
    return undefined;
  }
}

let self: ProcessIdentity | undefined;

/** This process's identity (computed once). */
export function currentProcess(): ProcessIdentity {
  if (!self) {
    const stat = procStat(process.pid);
    const bootId = readText('/proc/sys/kernel/random/boot_id');
    const pidNs = pidNamespace();
    self = {
      host: hostname(),
      pid: process.pid,
      ...(stat ? { startTime: stat.startTime } : {}),
      ...(bootId ? { bootId } : {}),
      ...(pidNs ? { pidNs } : {}),
    };
  }
  return self;
}

/** Reads an identity journaled or written to disk earlier; undefined when it is not one. */
export function parseProcessIdentity(value: unknown): ProcessIdentity | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.host !== 'string' || typeof v.pid !== 'number' || !Number.isInteger(v.pid)) return undefined;
  const text = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
  const startTime = text(v.startTime);
  const bootId = text(v.bootId);
  const pidNs = text(v.pidNs);
  return {
    host: v.host,
    pid: v.pid,
    ...(startTime ? { startTime } : {}),
    ...(bootId ? { bootId } : {}),
    ...(pidNs ? { pidNs } : {}),
  };
}

/**
 * Whether the process `owner` describes is still running, as far as this process can tell:
 * - `gone` for certain: same machine, same boot and same pid namespace, and its pid is free, a zombie,
 *   or taken by a process that started at another time (a reused pid);
 * - `alive`: that very process is running;
 * - `unknown`: another host, another boot (or a machine of the same name), another pid namespace — our
 *   pids are not its pids — so nobody may act as if it were dead.
 * Without /proc (not Linux) a pid that does not exist on the same host is gone; one that exists is taken
 * as alive (a reused pid then only delays a cleanup, it never makes a live run look dead).
 */
export function processState(owner: ProcessIdentity): 'gone' | 'alive' | 'unknown' {
  const me = currentProcess();
  if (owner.host !== me.host) return 'unknown';
  if (owner.bootId !== me.bootId || owner.pidNs !== me.pidNs) return 'unknown';
  if (owner.startTime !== undefined && me.startTime !== undefined) {
    const now = procStat(owner.pid);
    if (!now || now.zombie || now.startTime !== owner.startTime) return 'gone';
    return 'alive';
  }
  if (owner.bootId !== undefined) return 'unknown'; // Linux, but the owner's start time was not recorded
  return processExists(owner.pid) ? 'alive' : 'gone';
}
