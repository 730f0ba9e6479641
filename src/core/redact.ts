import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConnectionObject } from './tenant.js';

/**
 * Secrets never leave dbfleet: every message that is printed, reported or journaled goes through here.
 * URL credentials and `password=…` are masked by pattern everywhere, so a connection string that slips
 * into a driver's error message is caught; passwords known by value are masked within their run.
 *
 * A run is a redaction scope (`withRedaction`): the CLI opens one per command, and every public fleet
 * entry (`runFleet`, `upgrade`, `rollbackRun`) opens one if its caller has not, then registers its
 * tenants' passwords — so a library caller's run is redacted without opening anything. The scope follows
 * the run's async work (AsyncLocalStorage) and ends with it: two runs in one process never share their
 * secrets, and a long-lived process does not collect every password it ever saw.
 *
 * Outside any scope `registerSecret` keeps nothing. A process-wide fallback would be exactly the
 * ever-growing set scopes replace, and nothing needs it: a password registered while loading an inventory
 * outside a run is registered again, from the tenant's connection, by the run that uses it.
 */
const scope = new AsyncLocalStorage<Set<string>>();

/** Runs `fn` in a redaction scope: the current one if there is one (a run inside a command), else a new one. */
export function withRedaction<T>(fn: () => T): T {
  return scope.getStore() ? fn() : scope.run(new Set(), fn);
}

export function registerSecret(secret: unknown): void {
  if (typeof secret === 'string' && secret.length >= 3) scope.getStore()?.add(secret);
}

/** The passwords of a connection, as an inventory gives it (a URL) or as a tenant holds it (an object). */
export function registerConnectionSecrets(connection: unknown): void {
  if (typeof connection === 'string') {
    // Only a URL with credentials (`user:pw@host`) holds a password. Checking for '@' first spares a
    // thrown and caught URL error per SQLite path, which at 10,000 tenants is megabytes of garbage.
    if (!connection.includes('@')) return;
    try {
      registerSecret(decodeURIComponent(new URL(connection).password));
    } catch {
      // not a URL (a SQLite path): nothing secret in it
    }
  } else if (connection && typeof connection === 'object') {
    const c = connection as ConnectionObject;
    registerSecret(c.password);
    // tedious' form: { authentication: { options: { password } } }
    const auth = (c as { authentication?: { options?: { password?: unknown } } }).authentication;
    registerSecret(auth?.options?.password);
  }
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/\s]*)@/gi;
// The unquoted value stops at quotes and brackets too, so redacting serialized JSON keeps it valid JSON.
const KEY_VALUE_PASSWORD = /\b(password|pwd|pass)\s*[=:]\s*("[^"]*"|'[^']*'|[^;\s,}\]"'<&]+)/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, '$1:***@').replace(KEY_VALUE_PASSWORD, '$1=***');
  for (const secret of scope.getStore() ?? []) {
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
