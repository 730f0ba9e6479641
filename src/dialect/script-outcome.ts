/**
 * What a failed script left applied, in the words of the dialect that ran it: only the dialect knows how its
 * server runs a file of statements (PostgreSQL as one implicit transaction; SQLite and SQL Server statement by
 * statement). A migration without a transaction says this instead of its generic "what it did before the
 * failure stays applied", which was false on PostgreSQL for every file without transaction statements.
 */
const OUTCOME = Symbol('dbfleet.scriptOutcome');

type Marked = { [OUTCOME]?: string };

/** Marks the driver's error (kept whole: its code still classifies it) with what stays applied. */
export function markScriptOutcome(err: unknown, sentence: string): void {
  if (err !== null && typeof err === 'object') (err as Marked)[OUTCOME] = sentence;
}

export function scriptOutcomeOf(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' ? (err as Marked)[OUTCOME] : undefined;
}
