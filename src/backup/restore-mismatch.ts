import { shellArg } from '../util/shell-arg.js';
import { describeDifferences, type FingerprintDifference } from './compare.js';
import type { BackupManifest } from './manifest.js';

/**
 * A restore that replaced the tenant's data, after which its fingerprint differs from the backup's. Said
 * first that the data was replaced, and by which backup: "differs" alone read as if nothing had happened
 * (so try again) or the old data were still there. Then what differs, and where to look: the backup
 * itself (a deep verify restores it into a scratch database and compares the same fingerprint), or the
 * tenant against its peers.
 */
export function restoredButDiffers(
  tenantId: string,
  path: string,
  manifest: Pick<BackupManifest, 'created_at' | 'upgrade'>,
  differences: readonly FingerprintDifference[],
): string {
  const run = manifest.upgrade
    ? `, taken ${manifest.upgrade.stage === 'pre' ? 'before' : 'after'} upgrade run ${manifest.upgrade.run}`
    : '';
  const verify = `dbfleet verify --deep --tenant ${shellArg(tenantId)} --backup ${shellArg(path)}`;
  return (
    `${tenantId}'s data was replaced by its backup of ${manifest.created_at}${run} (${path}), ` +
    `but the restored database differs from that backup's fingerprint: ${describeDifferences(differences)}. ` +
    `Check the backup with \`${verify}\`, and compare the tenant with its peers with \`dbfleet drift\``
  );
}
