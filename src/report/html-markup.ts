/** Trusted markup. Only the `html` tag makes one; every other value is escaped when interpolated. */
export class Markup {
  constructor(readonly text: string) {}
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function piece(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}

/** A CSS class name made of user data: letters, digits and dashes only. */
export const token = (text: string) => text.toLowerCase().replace(/[^a-z0-9-]/g, '');

/**
 * A long path as its file name behind "…/" (the row already says which tenant; the file name says when);
 * the whole path is the element's title, shown on hover and kept for copying.
 */
export function shortPath(path: string, max = 32): string {
  if (path.length <= max) return path;
  const name = path.split(/[/\\]/).filter(Boolean).at(-1) ?? path;
  return `…/${name}`;
}

/** A path that keeps its place in a narrow cell: shortened, whole on hover. */
export const pathCode = (path: string) => html`<code class="path" title="${path}">${shortPath(path)}</code>`;

/**
 * A migration file name that may wrap after its underscores (`20240203000000_add_<wbr>course_…`) but never
 * inside a word: names are long, and a table column would otherwise be as wide as the longest one.
 */
export function fileName(name: string): Markup {
  return new Markup(
    `<span class="name">${name
      .split('_')
      .map((part) => escapeHtml(part))
      .join('_<wbr>')}</span>`,
  );
}
