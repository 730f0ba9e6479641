import { resolve } from 'node:path';
import type { CheckDefinition, HookDefinition } from '../upgrade/checks.js';
import type { ThrottleConfig } from '../upgrade/throttle.js';
import type { ValidConfig } from './types.js';

export interface UpgradeSettings {
  hooks: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition };
  checks?: readonly CheckDefinition[];
  checksDir: string;
  throttle?: ThrottleConfig;
}

/** A hook as the upgrade runs it (the schema keeps a list of SQL read-only). */
const hookOf = (hook: NonNullable<ValidConfig['hooks']>['beforeTenant']): HookDefinition | undefined =>
  typeof hook === 'object' ? [...hook] : hook;

/**
 * The upgrade's hooks, smoke checks and throttle, already checked by the schema. `checks` is a folder
 * (relative to the configuration) or a list; `checksDir` (a flag) replaces the folder.
 */
export function upgradeSettingsOf(config: ValidConfig, baseDir: string, checksDir?: string): UpgradeSettings {
  const before = hookOf(config.hooks?.beforeTenant);
  const after = hookOf(config.hooks?.afterTenant);
  const checks = config.checks;
  return {
    hooks: { ...(before ? { beforeTenant: before } : {}), ...(after ? { afterTenant: after } : {}) },
    ...(typeof checks === 'object' ? { checks } : {}),
    checksDir: checksDir ?? resolve(baseDir, typeof checks === 'string' ? checks : 'checks'),
    ...(config.throttle ? { throttle: config.throttle } : {}),
  };
}
