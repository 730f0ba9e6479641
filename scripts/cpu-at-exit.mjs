// Loaded into each test file's process by `TEST_CPU=<file> npm test`: at exit, appends the CPU the
// process and the children it waited for used (utime + stime + cutime + cstime of /proc/self/stat: the
// CLI runs, pg_dump, npm a test starts), in seconds, with the test file. Linux only. CI's time goes to CPU
// (both cores busy), so this, not wall time, says which files to make cheaper.
import { appendFileSync, readFileSync } from 'node:fs';

const out = process.env.TEST_CPU;
// Only in a test file's own process (the runner's children), not in the runner itself.
const file = process.env.NODE_TEST_CONTEXT === 'child-v8' ? process.argv[1] : undefined;
if (out && file) {
  process.on('exit', () => {
    try {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14–17 of stat(5), counted from 1 with pid and comm: 12–15 here, after comm.
      const ticks = fields.slice(11, 15).reduce((sum, n) => sum + Number(n), 0);
      appendFileSync(out, `${(ticks / 100).toFixed(2)}\t${file}\n`);
    } catch {}
  });
}
