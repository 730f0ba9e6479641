/**
 * Secrets never leave dbfleet: every message that is printed, reported or journaled goes through here.
 * Passwords are registered when the inventory is loaded; URL credentials are masked by pattern as well,
 * so a connection string that slips into a driver's error message is still caught.
 */
const secrets = new Set<string>();

export function registerSecret(secret: unknown): void {
  if (typeof secret === 'string' && secret.length >= 3) secrets.add(secret);
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/\s]*)@/gi;
// The unquoted value stops at quotes and brackets too, so redacting serialized JSON keeps it valid JSON.
const KEY_VALUE_PASSWORD = /\b(password|pwd|pass)\s*[=:]\s*("[^"]*"|'[^']*'|[^;\s,}\]"'<&]+)/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, '$1:***@').replace(KEY_VALUE_PASSWORD, '$1=***');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('***');
  }
  return out;
}

/** Deep-redacts every string in a JSON-able value (reports, journal rows). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = /^(password|pwd|pass)$/i.test(k) ? '***' : redactDeep(v);
    }
    return out as T;
  }
  return value;
}
