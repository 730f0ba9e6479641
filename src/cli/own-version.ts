import { readFileSync } from 'node:fs';

/**
 * dbfleet's own version, from its package.json beside src/ and dist/ (both are two levels below it).
 * yargs' `.version()` would read the nearest package.json from the working directory instead: in a
 * consumer's project, that is the consumer's version.
 */
export function ownVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
