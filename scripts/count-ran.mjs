// Loaded into each test file's process by scripts/run-tests.mjs: counts the tests the file ran (a
// root-level afterEach runs after every test, nested ones included) and appends `<count>\t<file>` to
// $TEST_RAN at exit. With --test-force-exit, node's runner can drop a file's last test events and still
// exit 0 (nodejs/node#64833): run-tests.mjs compares this count with what the runner reported.
import { appendFileSync } from 'node:fs';
import { afterEach } from 'node:test';

const out = process.env.TEST_RAN;
// Only in a test file's own process (the runner's children), not in the runner itself.
const file = process.env.NODE_TEST_CONTEXT === 'child-v8' ? process.argv[1] : undefined;
if (out && file) {
  let ran = 0;
  afterEach(() => {
    ran++;
  });
  process.on('exit', () => appendFileSync(out, `${ran}\t${file}\n`));
}
