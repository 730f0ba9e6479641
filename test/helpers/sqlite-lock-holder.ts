import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/** Holds a SQLite file in `BEGIN EXCLUSIVE` from another process (an application mid-commit), until released. */
export interface LockHolder {
  /** Rolls back and ends the process; resolves once it has exited. */
  release(): Promise<void>;
}

const SCRIPT = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
process.stdin.resume();
`;

export async function holdExclusively(file: string): Promise<LockHolder> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, file], {
    cwd: join(import.meta.dirname, '../..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  return {
    async release() {
      if (child.exitCode === null) child.stdin?.end();
      await exited;
    },
  };
}
