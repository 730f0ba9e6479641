// A dbfleet backup in a process of its own, for the tests that kill it (SIGKILL, like `kill -9` or an
// OOM kill) while its pg_dump runs. Argument: JSON { tenant, backupDir }.
import { backup } from '../../src/backup/index.js';

const { tenant, backupDir } = JSON.parse(process.argv[2] ?? '{}');
await backup({ tenants: [tenant], backupDir, fingerprintLevel: 'schema' });
