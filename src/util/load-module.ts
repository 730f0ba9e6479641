import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.(c|m)?tsx?$/i;

/**
 * A TypeScript (or ESM-syntax) file in a CommonJS project is compiled to CommonJS, and `import()` of it
 * yields `{ default: { __esModule: true, default: X, up, … } }`: the real exports one level down. Hand
 * callers the namespace the source meant (`{ default: X, up, … }`), as an ESM project would see it.
 */
function asWritten(namespace: Record<string, unknown>): Record<string, unknown> {
  const exports = namespace.default;
  if (exports && typeof exports === 'object' && (exports as { __esModule?: unknown }).__esModule === true) {
    return { ...(exports as Record<string, unknown>) };
  }
  return namespace;
}

interface TsxLoaders {
  require(id: string, fromFile: string): unknown;
  import(specifier: string, parent: string): Promise<unknown>;
}

let tsxLoaders: Promise<TsxLoaders> | undefined;

/**
 * tsx's loaders, registered once for the process under one namespace of dbfleet's own, CommonJS and ESM
 * alike. As under knex's CLI (one require cache, one ES module map), a module the knexfile and the
 * migrations both import is evaluated once: tsx's `tsImport` takes a new namespace per call, so each
 * TypeScript file had its own copy of it (state the knexfile set up was not what a migration saw).
 * The namespace keeps tsx away from the rest of the process (an application running dbfleet as a library).
 */
function tsx(): Promise<TsxLoaders> {
  tsxLoaders ??= Promise.all([import('tsx/cjs/api'), import('tsx/esm/api')]).then(([cjs, esm]) => {
    const namespace = `dbfleet-${randomUUID()}`;
    return { require: cjs.register({ namespace }).require, import: esm.register({ namespace }).import };
  });
  return tsxLoaders;
}

/**
 * A TypeScript file Node would treat as CommonJS loads through tsx's CommonJS `require`, as knex's CLI
 * `require`s it (through ts-node): tsx's ESM `tsImport` compiles it so that `__dirname` and `__filename`
 * are `data:text`, and a knexfile's `path.join(__dirname, 'migrations')` pointed nowhere.
 */
async function requireTypeScript(file: string): Promise<unknown> {
  return (await tsx()).require(file, import.meta.url);
}

/**
 * Each user module's text when this process first loaded it. Node keeps a loaded module for the life of
 * the process (the require cache, the ES module map; knex loads the same way), so a file edited since would
 * go on running its old code — a migration under its new text's checksum. knex's CLI, a new process each
 * time, never meets that; a long-lived process (a service using dbfleet as a library, a `dbfleet worker`)
 * is refused the file instead. Line endings and a BOM do not count (they are no edit to a checksum either).
 */
const textWhenLoaded = new Map<string, string>();

function textHash(file: string): string {
  const text = readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n');
  return createHash('sha256').update(text).digest('hex');
}

async function loadUnlessEdited<T>(file: string, load: () => Promise<T>): Promise<T> {
  const key = resolve(file);
  const hash = textHash(key);
  const first = textWhenLoaded.get(key);
  if (first !== undefined && first !== hash)
    throw new Error(
      `${key} changed since this process first loaded it, and Node runs the module it loaded then, not the edited file: restart the process to load it`,
    );
  const loaded = await load();
  // Recorded once loaded: a file that failed to load the first time was not kept by Node (CommonJS).
  textWhenLoaded.set(key, hash);
  return loaded;
}

/**
 * Imports a user module (config, migration, optimization, check). TypeScript loads through tsx with no
 * build step, whether or not dbfleet itself runs under tsx, in ESM and CommonJS projects alike;
 * everything else through plain `import()`.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  return loadUnlessEdited(file, () => importAsWritten(file));
}

async function importAsWritten(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  // Once a TypeScript module is loaded, CommonJS `.js` ones go through the same require (see sharedCache).
  if (sharedCache() && isCommonJs(file)) return asWritten({ default: await requireTypeScript(file) });
  if (TYPESCRIPT.test(file)) {
    // `{ default: module.exports }` is what `import()` of a CommonJS module gives.
    if (isCommonJs(file)) return asWritten({ default: await requireTypeScript(file) });
    return asWritten((await (await tsx()).import(url, import.meta.url)) as Record<string, unknown>);
  }
  return asWritten((await import(url)) as Record<string, unknown>);
}

/**
 * Whether a TypeScript user module has been loaded (the knexfile.ts, before any migration). Its `require`s
 * live in tsx's namespace — their own entries of the require cache — so from then on CommonJS `.js` user
 * modules are required through it as well: a helper a knexfile.ts and a `.js` migration both require is
 * then one module, as under knex's CLI (ts-node's hook, one require cache); a plain `require` evaluated it a
 * second time, and the migration did not see what the knexfile put in it. A project without TypeScript
 * never loads tsx.
 */
const sharedCache = () => tsxLoaders !== undefined;

/** A plain `require`, as knex's (knex/lib/migrations/util/import-file.js) loads a CommonJS file. */
const nodeRequire = createRequire(import.meta.url);

/**
 * `module.exports` of a CommonJS file — TypeScript compiled to CommonJS included — exactly as knex's
 * `require` of it gives it: `export default { up, down }` compiled is `{ __esModule, default: {…} }`,
 * which knex does not look into, so neither does a migration loader built on this. A `.js` file with ES
 * module syntax in a package without `"type"` is `require`d too, as by knex: Node detects it as an ES
 * module and `require` returns its namespace (`import()` unwrapped its `export default { up, down }`).
 */
export async function commonJsExports(file: string): Promise<Record<string, unknown>> {
  const exports = await loadUnlessEdited(file, async () =>
    TYPESCRIPT.test(file) || sharedCache() ? await requireTypeScript(file) : nodeRequire(file),
  );
  return exports !== null && (typeof exports === 'object' || typeof exports === 'function')
    ? (exports as Record<string, unknown>)
    : {};
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

const packageTypes = new Map<string, string | undefined>();

/** The `type` of the package.json nearest to `dir` (cached per folder: a run asks once per migration). */
function packageType(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  const manifest = join(dir, 'package.json');
  let type: string | undefined;
  if (existsSync(manifest)) {
    try {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown };
      type = typeof parsed.type === 'string' ? parsed.type : undefined;
    } catch {
      type = undefined;
    }
  } else {
    const parent = dirname(dir);
    type = parent === dir ? undefined : packageType(parent);
  }
  packageTypes.set(dir, type);
  return type;
}

/** Whether Node (and knex, which `require`s such a file) treats `file` as CommonJS. */
export function isCommonJs(file: string): boolean {
  if (/\.c[jt]s$/.test(file)) return true;
  if (/\.m[jt]s$/.test(file)) return false;
  return packageType(dirname(file)) !== 'module';
}
