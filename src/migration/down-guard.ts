import { TenantError } from '../core/errors.js';
import type { TenantSession } from '../dialect/types.js';
import { existingHistoryTables, readHistoryOf, tableLookupOf } from './history.js';
import type { HistoryLocation } from './history-location.js';
import type { Migration } from './types.js';

/**
 * Before running the downs of `names` (applied migrations): every one must have its file with a down(),
 * unedited since it was applied. A down() edited afterwards is not the one that matches what ran — it may
 * drop more, or undo less — so it is refused exactly as `migrate` refuses the edited file
 * (`CHECKSUM_MISMATCH`; `dbfleet repair` accepts a deliberate edit). A migration applied by knex itself
 * has no recorded checksum: there is nothing to compare, as for `migrate`.
 */
export async function assertDownsRunnable(
  session: Pick<TenantSession, 'knex' | 'readHistoryRows' | 'existingTables'>,
  where: HistoryLocation,
  names: readonly string[],
  byName: ReadonlyMap<string, Migration>,
): Promise<void> {
  const missing = names.filter((name) => !byName.get(name)?.down);
  if (missing.length)
    throw new TenantError('NO_DOWN', `cannot roll back: no file or no down() for ${missing.join(', ')}`);
  const existing = await existingHistoryTables(tableLookupOf(session), where);
  const { recorded } = await readHistoryOf(session, where, existing);
  const edited = names.filter((name) => {
    const was = recorded.get(name);
    return was !== undefined && was !== byName.get(name)!.checksum;
  });
  if (edited.length)
    throw new TenantError(
      'CHECKSUM_MISMATCH',
      `cannot roll back: ${edited.join(', ')} ${edited.length === 1 ? 'was' : 'were'} edited after ${edited.length === 1 ? 'it was' : 'they were'} applied, so its down() may not undo what ran; restore the file, or accept the change with \`dbfleet repair\`. Nothing was rolled back`,
    );
}
