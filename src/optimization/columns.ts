import type { IndexColumn } from '../dialect/optimize-types.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const COLUMN = /^([A-Za-z_][A-Za-z0-9_$]*)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?$/i;

export function isIdentifier(text: string): boolean {
  return IDENTIFIER.test(text) && text.length <= 63;
}

/**
 * An index key as written in a definition: `user_id`, `submitted_at desc`, `score desc nulls last`, or a
 * parenthesized expression `(lower(email))` that goes into the SQL as written. Undefined when it is none
 * of these (a typo such as `user id` must not become SQL).
 */
export function parseIndexColumn(text: string): IndexColumn | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('(') && trimmed.endsWith(')') && trimmed.length > 2 && balanced(trimmed)) {
    return { kind: 'expression', sql: trimmed };
  }
  const match = COLUMN.exec(trimmed);
  if (!match || match[1]!.length > 63) return undefined;
  return {
    kind: 'column',
    name: match[1]!,
    ...(match[2] ? { order: match[2].toLowerCase() as 'asc' | 'desc' } : {}),
    ...(match[3] ? { nulls: match[3].toLowerCase() as 'first' | 'last' } : {}),
  };
}

/** Parentheses balance outside string literals, and the outer pair encloses the whole expression. */
function balanced(expression: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth < 0 || (depth === 0 && i < expression.length - 1)) return false;
  }
  return depth === 0 && !quoted;
}
