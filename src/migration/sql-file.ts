import { parseDuration } from '../util/duration.js';
import type { MigrationConfig } from './types.js';

/**
 * `.sql` migrations: `<name>.sql` is the up script; `<name>.down.sql` beside it (optional) is the down.
 * Settings go in comment lines at the top, e.g.
 *   -- dbfleet: transaction=false lock_timeout=10s statement_timeout=30m
 */
export function isDownSqlFile(file: string): boolean {
  return /\.down\.sql$/i.test(file);
}

export function downSqlFileFor(upFile: string): string {
  return upFile.replace(/(\.up)?\.sql$/i, '.down.sql');
}

export function parseSqlSettings(sql: string, file: string): MigrationConfig {
  const config: MigrationConfig = { transaction: true };
  // Split on CRLF too: with a trailing '\r' the `(.*)$` below would not match and the settings would be ignored.
  for (const line of sql.split(/\r?\n|\r/)) {
    const match = /^\s*--\s*dbfleet:\s*(.*)$/i.exec(line);
    if (!match) continue;
    // `allow=<rule> reason: …` accepts a lint finding: src/lint reads those lines (the reason has spaces).
    if (/^allow\s*=/i.test(match[1]!.trim())) continue;
    for (const pair of match[1]!.trim().split(/\s+/).filter(Boolean)) {
      const [key, value = ''] = pair.split('=');
      switch (key?.toLowerCase().replace(/-/g, '_')) {
        case 'transaction':
          if (value !== 'true' && value !== 'false')
            throw new Error(`${file}: transaction must be true or false`);
          config.transaction = value === 'true';
          break;
        case 'no_transaction':
          config.transaction = false;
          break;
        case 'lock_timeout':
          config.lockTimeoutMs = parseDuration(value);
          break;
        case 'statement_timeout':
          config.statementTimeoutMs = parseDuration(value);
          break;
        default:
          throw new Error(`${file}: unknown dbfleet setting "${pair}"`);
      }
    }
  }
  return config;
}
