import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.(c|m)?tsx?$/i;

/**
 * Imports a user module (config, migration, optimization, check). TypeScript loads through tsx with no
 * build step, whether or not dbfleet itself runs under tsx; everything else through plain `import()`.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (TYPESCRIPT.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/** Unwraps `export default`, CommonJS `module.exports` and ESM-with-named-exports alike. */
export function moduleExports(mod: Record<string, unknown>): Record<string, unknown> {
  const def = mod.default;
  if (def && typeof def === 'object' && !Array.isArray(def)) {
    const named = Object.keys(mod).filter((k) => k !== 'default' && k !== 'module.exports');
    if (named.length === 0) return def as Record<string, unknown>;
    return { ...(def as Record<string, unknown>), ...Object.fromEntries(named.map((k) => [k, mod[k]])) };
  }
  return mod;
}
