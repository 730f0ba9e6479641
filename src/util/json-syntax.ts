/**
 * Where a JSON syntax error is, as `line:column` (1-based, columns in characters), and why — without
 * a word of the text itself.
 * V8 names the place as an offset ("… in JSON at position 14"), or, for an unexpected token, quotes the
 * text around it instead ("Unexpected token 'S', ..."password":S3cret}]" is not valid JSON"). An
 * inventory or a knexfile.json holds passwords, and an unquoted one is exactly the typo that ends up
 * here: the quote is used to find the place and then dropped. With neither, the end of the text
 * ("Unexpected end of JSON input").
 */
export function jsonErrorPlace(
  text: string,
  message: string,
): { line: number; column: number; reason: string } {
  const at = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  const quoted = /^(Unexpected token .+?), (\.\.\.)?"(.*)"(?:\.\.\.)? is not valid JSON$/s.exec(message);
  let offset = text.length;
  let reason = message;
  if (at) {
    offset = Math.min(Number(at[1]), text.length);
    reason = message.replace(at[0], '');
  } else if (quoted) {
    reason = quoted[1]!;
    const [, , cut, context] = quoted as unknown as [string, string, string | undefined, string];
    const start = text.indexOf(context);
    // V8 quotes from 10 characters before the token, or from the start of the text (no "...").
    const token = /^Unexpected token '(.)'/.exec(reason)?.[1] ?? '';
    if (start >= 0) offset = start + (cut ? 10 : Math.max(0, context.indexOf(token)));
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.replace(/\r$/, '').length + 1, reason };
}

/** `JSON.parse`; a syntax error becomes `not valid JSON at line L, column C: <reason>`, quoting nothing. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const { line, column, reason } = jsonErrorPlace(text, err instanceof Error ? err.message : String(err));
    throw new SyntaxError(`not valid JSON at line ${line}, column ${column}: ${reason}`);
  }
}
