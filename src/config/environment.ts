import { UsageError } from '../core/errors.js';
import { CONFIG_KEYS } from './keys.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The environment knex's CLI picks: `--env`, else NODE_ENV, else `development`. */
export function environmentName(explicit?: string): string {
  return explicit || process.env.NODE_ENV || 'development';
}

/** Top-level keys that hold a whole configuration (`development: { client, connection }`). */
function environmentSections(raw: Record<string, unknown>): string[] {
  return Object.keys(raw).filter((key) => {
    const value = raw[key];
    return (
      !CONFIG_KEYS.has(key) && isPlainObject(value) && Object.keys(value).some((k) => CONFIG_KEYS.has(k))
    );
  });
}

export interface SelectedConfig {
  config: Record<string, unknown>;
  /** The environment section used, when the file is environment-keyed. */
  environment?: string;
}

/**
 * Picks the environment of an environment-keyed knexfile the way knex does (`allConfigs[env] ||
 * allConfigs`). Top-level configuration keys beside the environments apply to every environment; the
 * environment's own keys win. A file with environments but none by that name is an error rather than
 * a silent fall-back to the whole file.
 */
export function selectEnvironment(
  raw: Record<string, unknown>,
  source: string,
  explicit?: string,
): SelectedConfig {
  const name = environmentName(explicit);
  const section = raw[name];
  if (!CONFIG_KEYS.has(name) && isPlainObject(section)) {
    const shared = Object.fromEntries(Object.entries(raw).filter(([key]) => CONFIG_KEYS.has(key)));
    return { config: { ...shared, ...section }, environment: name };
  }
  const sections = environmentSections(raw);
  if (sections.length > 0) {
    const why = explicit ? '--env' : process.env.NODE_ENV ? 'NODE_ENV' : 'the default environment';
    throw new UsageError(
      `${source}: no "${name}" environment (${why}); it has ${sections.join(', ')}: choose one with --env <name> or NODE_ENV`,
    );
  }
  return { config: raw };
}
