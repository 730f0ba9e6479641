// The configuration folder's public face: the config's type and schema, the loader, and what turns a
// loaded config plus overrides into the options a fleet operation takes.

export { environmentName } from './environment.js';
export {
  DEFAULT_CONFIG_FILES,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  validateConfig,
} from './load.js';
export { durationMs, flagDurationMs, type RunOverrides, wholeNumberAtLeastOne } from './overrides.js';
export { loadRunOptions, type RunOptions, runOptionsFrom, upgradeSetupOf } from './run-options.js';
export { configSchema } from './schema.js';
export {
  type CheckFunction,
  defineConfig,
  type FleetConfig,
  type HookFunction,
  type KnexConnection,
  type MigrationsConfig,
  type ValidConfig,
} from './types.js';
export type { UpgradeSettings } from './upgrade-settings.js';
