// A restore pipes pg_restore's script into psql. When a statement fails, psql stops and closes the pipe;
// pg_restore, still writing, can die of SIGPIPE before dbfleet stops it. That race was reported as "the
// backup cannot be read whole: pg_restore failed (killed by SIGPIPE)" — blaming a good backup for the
// statement psql named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ToolRun } from '../../src/dialect/postgres/pg-tools.js';
import { failedFirst } from '../../src/dialect/postgres/restore-script.js';

const run = (code: number | null, signal: NodeJS.Signals | null = null, stderr = ''): ToolRun => ({
  code,
  signal,
  stdout: '',
  stderr,
});
const psqlFailed = run(3, null, 'psql:<stdin>:62: ERROR:  role "app" does not exist');

describe('which side of the restore pipe failed first', () => {
  it('psql failed and pg_restore died of the closed pipe: psql (the statement), not the backup', () => {
    assert.equal(failedFirst(psqlFailed, run(null, 'SIGPIPE'), false).tool, 'psql');
    assert.equal(
      failedFirst(
        psqlFailed,
        run(1, null, 'pg_restore: error: could not write to output file: Broken pipe'),
        false,
      ).tool,
      'psql',
    );
  });

  it('psql failed and dbfleet stopped pg_restore, or pg_restore had finished: psql', () => {
    assert.equal(failedFirst(psqlFailed, run(null, 'SIGTERM'), true).tool, 'psql');
    assert.equal(failedFirst(psqlFailed, run(0), false).tool, 'psql');
  });

  it('pg_restore failed on its own (a damaged archive) and psql was stopped for it: pg_restore', () => {
    const damaged = run(1, null, 'pg_restore: error: could not read from input file: end of file');
    assert.equal(failedFirst(run(null, 'SIGTERM'), damaged, false).tool, 'pg_restore');
    assert.equal(failedFirst(run(0), damaged, false).tool, 'pg_restore');
  });
});
