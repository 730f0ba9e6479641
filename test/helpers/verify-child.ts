// Runs a deep verification and kills itself (SIGKILL, like `kill -9` or an OOM kill) as soon as the
// scratch database exists: what an interrupted run leaves behind. Argument: JSON { tenant, backupDir }.
import { verify } from '../../src/backup/index.js';

const { tenant, backupDir } = JSON.parse(process.argv[2] ?? '{}');
await verify({
  tenants: [tenant],
  backupDir,
  deep: true,
  onEvent: (event) => {
    if (event.type === 'step:start' && event.step === 'verify:scratch') process.kill(process.pid, 'SIGKILL');
  },
});
process.exit(3); // never reached when the scratch step started
