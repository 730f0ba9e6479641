// A node:test reporter that records how long each test file's top-level tests took, to find where the
// suite's time goes (CI has a time limit), and ($TEST_REPORTED) each test it was told of. It appends `<ms>\t<file>` lines to $TEST_TIMINGS synchronously,
// as each test ends: --test-force-exit ends the run before an async reporter's last write lands.
// scripts/run-tests.mjs sums and prints them after the run.
import { appendFileSync } from 'node:fs';

export default async function* fileTimings(source) {
  const out = process.env.TEST_TIMINGS;
  const reported = process.env.TEST_REPORTED;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    // Every test the runner reported (not suites), for the comparison with what each file ran.
    if (reported && file && details?.type !== 'suite') appendFileSync(reported, `${file}\n`);
    // Top-level tests only: a suite's duration already holds its children's.
    if (nesting !== 0 || !file || !out) continue;
    appendFileSync(out, `${details?.duration_ms ?? 0}\t${file}\n`);
  }
  // Nothing for the reporter's own destination: the lines went to $TEST_TIMINGS as they came.
  yield '';
}
