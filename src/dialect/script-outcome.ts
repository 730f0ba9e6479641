/**
 * What a failed script left applied, in the words of the dialect that ran it: only the dialect knows how its
 * server runs a file of statements (PostgreSQL as one implicit transaction; SQLite and SQL Server statement by
 * statement). A migration without a transaction says this instead of its generic "what it did before the
 * failure stays applied", which was false on PostgreSQL for every file without transaction statements; a
 * hook says from it whether the tenant was closed to its users at all.
 */
const OUTCOME = Symbol('dbfleet.scriptOutcome');

export interface ScriptOutcome {
  /** `nothing`: none of the script ran, or all of it was rolled back; `part`: some of it stays applied. */
  stays: 'nothing' | 'part';
  /** The same, and why, as the failure message says it. */
  sentence: string;
}

type Marked = { [OUTCOME]?: ScriptOutcome };

/** Marks the driver's error (kept whole: its code still classifies it) with what stays applied. */
export function markScriptOutcome(err: unknown, outcome: ScriptOutcome): void {
  if (err !== null && typeof err === 'object') (err as Marked)[OUTCOME] = outcome;
}

/** What the dialect knows stays of the failed script; undefined when it does not know. */
export function scriptOutcomeOf(err: unknown): ScriptOutcome | undefined {
  return err !== null && typeof err === 'object' ? (err as Marked)[OUTCOME] : undefined;
}
