import { describeMssqlError } from './errors.js';
import { splitGoBatches } from './go-splitter.js';
import { type RawConnection, type RequestConstructor, runBatch } from './raw-connection.js';

/**
 * A GO batch failed. The message says which batch and which line of the *script* (the server counts lines
 * from the start of the batch); the driver error stays reachable as `cause` for classification.
 */
export class ScriptBatchError extends Error {
  readonly batch: number;
  readonly scriptLine: number | undefined;

  constructor(message: string, batch: number, scriptLine: number | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'ScriptBatchError';
    this.batch = batch;
    this.scriptLine = scriptLine;
  }
}

/** The server's line number of an error, looking into AggregateError and wrappers. */
function serverLine(err: unknown): number | undefined {
  const e = err as { lineNumber?: unknown; errors?: unknown; originalError?: unknown };
  if (typeof e?.lineNumber === 'number' && e.lineNumber > 0) return e.lineNumber;
  for (const inner of [...(Array.isArray(e?.errors) ? e.errors : []), e?.originalError]) {
    if (inner && typeof inner === 'object') {
      const line = serverLine(inner);
      if (line !== undefined) return line;
    }
  }
  return undefined;
}

/** Runs a script's GO batches in order on one connection, each as many times as its `GO n` says. */
export async function runGoScript(
  connection: RawConnection,
  Request: RequestConstructor,
  script: string,
): Promise<void> {
  const batches = splitGoBatches(script);
  for (const [index, batch] of batches.entries()) {
    for (let run = 1; run <= batch.repeat; run += 1) {
      try {
        await runBatch(connection, Request, batch.sql);
      } catch (err) {
        const line = serverLine(err);
        const scriptLine = line === undefined ? undefined : batch.startLine + line - 1;
        const where = [
          `GO batch ${index + 1} of ${batches.length} (from script line ${batch.startLine})`,
          batch.repeat > 1 ? `run ${run} of ${batch.repeat}` : undefined,
          scriptLine === undefined ? undefined : `failed at script line ${scriptLine}`,
        ]
          .filter(Boolean)
          .join(', ');
        throw new ScriptBatchError(`${where}: ${describeMssqlError(err)}`, index + 1, scriptLine, err);
      }
    }
  }
}
