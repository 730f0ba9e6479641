// A JSON syntax error in an inventory or a knexfile.json says where it is, never what is there: V8's
// "Unexpected token" message quotes the text around the error, and an unquoted password is exactly
// the typo that produces one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { parseInventoryText } from '../../src/inventory/file.js';

// V8 quotes 10 characters either side of the token: a leak is a piece of the password, not all of it.
const PASSWORD = 'Zq8unquotedPw';
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-json-syntax-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function messageOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected a UsageError, nothing was thrown');
}

describe('JSON syntax errors quote nothing', () => {
  it('an inventory with an unquoted password: the place of the error, not the password', async () => {
    const text = `[\n  { "id": "acme", "dialect": "postgres",\n    "connection": { "host": "db1", "password": ${PASSWORD} } }\n]`;
    const message = await messageOf(() => parseInventoryText(text, 'tenants.json'));
    assert.ok(!message.includes(PASSWORD.slice(0, 5)), `the password leaked: ${message}`);
    assert.ok(!message.includes('"password"'), `the text was quoted: ${message}`);
    // Line 3, at the first character of the unquoted value.
    const column = text.split('\n')[2]!.indexOf(PASSWORD) + 1;
    assert.equal(message, `tenants.json is not valid JSON at line 3, column ${column}: Unexpected token 'Z'`);
  });

  it('a knexfile.json with an unquoted password: the same', async () => {
    const file = join(dir, 'knexfile.json');
    writeFileSync(
      file,
      `{ "client": "pg", "connection": { "host": "db1", "password": ${PASSWORD}xxxxxxxxxxxx } }`,
    );
    const message = await messageOf(() => loadConfig(file));
    assert.ok(!message.includes(PASSWORD.slice(0, 5)), `the password leaked: ${message}`);
    assert.match(message, /knexfile\.json: not valid JSON at line 1, column 62: Unexpected token 'Z'$/);
  });
});
