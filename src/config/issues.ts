// zod's issues as the lines a user reads: `hooks.beforeTenant: must be SQL, …`, one per problem, and
// an unknown key with the key it probably meant.
import type { z } from 'zod';
import { unknownKeyProblem } from '../util/suggest.js';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** `checks[0].name`; the empty path is the configuration itself. */
export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** The schema's own definition (zod keeps it on `_zod.def`). */
const defOf = (schema: unknown) => (schema as { _zod: { def: Record<string, unknown> } })._zod.def;

/** The keys the strict objects at `path` know: the candidates for a "did you mean". */
export function knownKeysAt(schema: unknown, path: Path): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'readonly':
    case 'nullable':
    case 'default':
      return knownKeysAt(def.innerType, path);
    case 'pipe':
      return knownKeysAt(def.in, path);
    case 'union':
      return (def.options as unknown[]).flatMap((option) => knownKeysAt(option, path));
    case 'array':
      return typeof path[0] === 'number' ? knownKeysAt(def.element, path.slice(1)) : [];
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (path.length === 0) return Object.keys(shape);
      const next = shape[String(path[0])];
      return next ? knownKeysAt(next, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/**
 * Of a union's failed options, the one the value was meant for: the only one whose failure is not
 * "wrong kind of value" (an object given to `string | { … }` fails inside the object).
 */
function meantOption(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  // A type mismatch, or a z.custom check that failed on the value itself.
  const wrongKind = (issues: Issue[]) =>
    issues.every((i) => (i.code === 'invalid_type' || i.code === 'custom') && i.path.length === 0);
  const meant = issue.errors.filter((issues) => !wrongKind(issues as Issue[]));
  return meant.length === 1 ? (meant[0] as Issue[]) : undefined;
}

/** Every problem zod found in `config`, as `path: message` lines. */
export function problemsOf(schema: z.ZodType, issues: readonly Issue[], base: Path = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const prefix = path.length ? `${formatPath(path)}.` : '';
      const known = knownKeysAt(schema, path);
      return issue.keys.map((key) => unknownKeyProblem(prefix, key, known));
    }
    if (issue.code === 'invalid_union') {
      const meant = meantOption(issue);
      if (meant) return problemsOf(schema, meant, path);
    }
    return [`${formatPath(path) || '(root)'}: ${issue.message}`];
  });
}
