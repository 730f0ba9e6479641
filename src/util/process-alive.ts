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
