// The CLI is built on the library's public surface: every name it imports from outside src/cli is
// exported by `dbfleet` (src/index.ts) or `dbfleet/engine` (src/engine.ts). The CLI still imports each
// name from its defining module (lazily, so start-up loads only what a command needs); this test checks
// only that the names are public, so a tool can do whatever the CLI does.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const CLI = join(SRC, 'cli');
/** The CLI's own commands kept in folders of their own (`dbfleet demo`, `dbfleet init`): not library API. */
const CLI_INTERNAL = [join(SRC, 'demo'), join(SRC, 'scaffold')];

interface CliImport {
  file: string;
  module: string;
  name: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const parse = (file: string) =>
  ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

/**
 * What an entry makes public: the names it exports (`export { a, b as c } from …`, `export function d`)
 * and the modules it re-exports whole (`export * as text from …`, every name of which is public).
 */
function surfaceOf(file: string): { names: Set<string>; modules: Set<string> } {
  const names = new Set<string>();
  const modules = new Set<string>();
  for (const node of parse(file).statements) {
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause))
      for (const e of node.exportClause.elements) names.add(e.name.text);
    else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      (!node.exportClause || ts.isNamespaceExport(node.exportClause))
    )
      modules.add(resolve(dirname(file), node.moduleSpecifier.text).replace(/\.js$/, '.ts'));
    else if (
      (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) &&
      node.name &&
      ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export
    )
      names.add(node.name.text);
  }
  return { names, modules };
}

const main = surfaceOf(join(SRC, 'index.ts'));
const engine = surfaceOf(join(SRC, 'engine.ts'));
const isPublic = (i: CliImport) =>
  [main, engine].some((entry) => entry.names.has(i.name) || entry.modules.has(i.module));

const isDynamicImport = (node: ts.Node): node is ts.CallExpression =>
  ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword;

/** `{ a, b: c }` → the module's names a, b. */
const bindingNames = (pattern: ts.BindingName): string[] =>
  ts.isObjectBindingPattern(pattern)
    ? pattern.elements.map((e) => (e.propertyName ?? e.name).getText())
    : [`<whole module bound to ${pattern.getText()}>`];

/** Every name a CLI file takes from a module: static imports and `await import()` destructuring. */
function importsOf(file: string): CliImport[] {
  const found: CliImport[] = [];
  const add = (specifier: string, names: string[]) => {
    if (!specifier.startsWith('.')) return;
    const module = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
    for (const name of names) found.push({ file: relative(SRC, file), module, name });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const bindings = node.importClause?.namedBindings;
      const names =
        bindings && ts.isNamedImports(bindings)
          ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
          : [];
      if (node.importClause?.name) names.push('default');
      if (bindings && ts.isNamespaceImport(bindings)) names.push(`<namespace ${bindings.name.text}>`);
      add(node.moduleSpecifier.text, names);
    } else if (ts.isVariableDeclaration(node) && node.initializer) {
      const value = ts.isAwaitExpression(node.initializer) ? node.initializer.expression : node.initializer;
      if (isDynamicImport(value) && value.arguments[0] && ts.isStringLiteral(value.arguments[0])) {
        add(value.arguments[0].text, bindingNames(node.name));
      } else if (
        ts.isCallExpression(value) &&
        value.expression.getText() === 'Promise.all' &&
        value.arguments[0] &&
        ts.isArrayLiteralExpression(value.arguments[0]) &&
        ts.isArrayBindingPattern(node.name)
      ) {
        value.arguments[0].elements.forEach((element, i) => {
          const target = (node.name as ts.ArrayBindingPattern).elements[i];
          if (isDynamicImport(element) && element.arguments[0] && ts.isStringLiteral(element.arguments[0]))
            add(
              element.arguments[0].text,
              target && ts.isBindingElement(target) ? bindingNames(target.name) : [],
            );
        });
      }
    } else if (
      isDynamicImport(node) &&
      !ts.isAwaitExpression(node.parent) &&
      !ts.isArrayLiteralExpression(node.parent)
    ) {
      // An import() whose names this test cannot see would slip past it.
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg) && arg.text.startsWith('.'))
        found.push({ file: relative(SRC, file), module: arg.text, name: '<unparsed import()>' });
    }
    ts.forEachChild(node, visit);
  };
  visit(parse(file));
  return found;
}

const cliImports = walk(CLI).flatMap(importsOf);
const outside = cliImports.filter(
  (i) => !i.module.startsWith(`${CLI}/`) && !CLI_INTERNAL.some((dir) => i.module.startsWith(`${dir}/`)),
);

test('the parser sees the CLI reaching into the library (static and lazy imports)', () => {
  const seen = (name: string) => outside.some((i) => i.name === name);
  // One of each kind: a static import, a lone `await import()`, one inside `Promise.all`.
  assert.ok(seen('UsageError'));
  assert.ok(seen('migrate'));
  assert.ok(seen('renderReport'));
  assert.ok(seen('prepareUpgrade'));
});

test('every name the CLI imports from the library is exported by dbfleet or dbfleet/engine', () => {
  const missing = outside
    .filter((i) => !isPublic(i))
    .map((i) => `${i.file}: ${i.name} from ${relative(SRC, i.module)}`);
  assert.deepEqual([...new Set(missing)].sort(), []);
});

test('the main entry and the engine do not overlap: each name has one home', () => {
  assert.deepEqual(
    [...engine.names].filter((n) => main.names.has(n)),
    [],
  );
});
