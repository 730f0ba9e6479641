import type { StepRow } from '../journal/read.js';
import { UPGRADE_STEPS } from '../upgrade/types.js';

const RUNBOOK = new Set<string>([...UPGRADE_STEPS, 'rollback']);

/**
 * An upgrade's runbook steps run the backup, verify and restore code, which journal their own steps
 * (`backup`, `verify:light`, `restore:check`, …) inside `backup-pre`, `verify-post`, `rollback`. Those are
 * parts of a runbook step, not steps beside it: counted too, every backup would be counted twice and a
 * tenant would show 13 steps for a runbook of 9. A tenant with no runbook step (the backup or verify
 * command) keeps all of its steps: there `backup` is the step.
 */
export function topLevelSteps(steps: readonly StepRow[]): StepRow[] {
  const withRunbook = new Set(steps.filter((s) => RUNBOOK.has(s.step)).map((s) => s.tenantId));
  return steps.filter((s) => !withRunbook.has(s.tenantId) || RUNBOOK.has(s.step));
}
