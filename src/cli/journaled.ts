import type { FleetOptions } from '../fleet/options.js';
import type { CommandContext } from './context.js';

/**
 * The run options of a command that changes tenants: the journal rides along, so `dbfleet report` knows
 * about every migrate, backup, verify, restore and optimize too — not only upgrades. The library opens,
 * writes and closes it (see FleetOptions.journal); read-only commands leave it out.
 */
export function journaled(ctx: CommandContext): FleetOptions {
  return { ...ctx.fleet, journal: ctx.journal };
}
