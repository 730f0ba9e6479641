import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { liveChildren } from '../measure.js';

const execFileAsync = promisify(execFile);

/**
 * Runs each item's tool invocations one after the other, `concurrency` items at a time (argument
 * arrays, never a shell). A failure is a broken bench, not a figure: it throws.
 */
export async function runEach<T>(
  items: readonly T[],
  concurrency: number,
  commandsOf: (item: T) => Array<[string, string[]]>,
): Promise<void> {
  const limit = pLimit(concurrency);
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        for (const [bin, args] of commandsOf(item)) await runTool(bin, args);
      }),
    ),
  );
}

async function runTool(bin: string, args: string[]): Promise<void> {
  const pending = execFileAsync(bin, args, {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PGAPPNAME: 'dbfleet-bench-floor' },
  });
  liveChildren.add(pending.child);
  try {
    await pending;
  } catch (err) {
    throw new Error(`${bin} ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  } finally {
    liveChildren.delete(pending.child);
  }
}
