import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrationChecksum, normalizeSource } from '../../src/migration/checksum.js';
import { loadMigrations } from '../../src/migration/loader.js';

const source =
  "export async function up(knex) {\n  await knex.schema.createTable('t', (t) => t.increments());\n}\n";

describe('migrationChecksum', () => {
  it('is a sha256 hex digest, stable for the same text', () => {
    assert.match(migrationChecksum(source), /^[0-9a-f]{64}$/);
    assert.equal(migrationChecksum(source), migrationChecksum(`${source}`));
  });

  it('CRLF, CR and LF line endings give the same checksum', () => {
    assert.equal(migrationChecksum(source.replace(/\n/g, '\r\n')), migrationChecksum(source));
    assert.equal(migrationChecksum(source.replace(/\n/g, '\r')), migrationChecksum(source));
  });

  it('a BOM is not an edit', () => {
    assert.equal(migrationChecksum(`\uFEFF${source}`), migrationChecksum(source));
  });

  it('any real edit changes it, even one character or trailing whitespace inside a line', () => {
    assert.notEqual(migrationChecksum(source.replace("'t'", "'u'")), migrationChecksum(source));
    assert.notEqual(
      migrationChecksum(source.replace('increments()', 'increments() ')),
      migrationChecksum(source),
    );
    assert.notEqual(migrationChecksum(`${source}\n`), migrationChecksum(source));
  });

  it('normalizeSource only touches line endings and a leading BOM', () => {
    assert.equal(normalizeSource('\uFEFFa\r\nb\rc\n'), 'a\nb\nc\n');
    assert.equal(normalizeSource('a\uFEFFb'), 'a\uFEFFb');
  });
});

describe('checksums of loaded migrations', () => {
  const fixture = fileURLToPath(new URL('../fixtures/migrations-basic/', import.meta.url));
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-checksum-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a CRLF copy of the migrations directory has the same checksums; an edited copy differs only for the edited file', async () => {
    const lf = join(dir, 'lf');
    const crlf = join(dir, 'crlf');
    const edited = join(dir, 'edited');
    for (const d of [lf, crlf, edited]) cpSync(fixture, d, { recursive: true });
    for (const name of readdirSync(crlf)) {
      const file = join(crlf, name);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\r?\n/g, '\r\n'));
    }
    const sqlName = readdirSync(edited).find((n) => n.endsWith('.sql') && !n.endsWith('.down.sql'))!;
    writeFileSync(
      join(edited, sqlName),
      `${readFileSync(join(edited, sqlName), 'utf8')}\n-- a reviewer's note\n`,
    );

    const sums = async (d: string) => new Map((await loadMigrations(d)).map((m) => [m.name, m.checksum]));
    const [a, b, c] = await Promise.all([sums(lf), sums(crlf), sums(edited)]);
    assert.ok(a.size >= 5);
    assert.deepEqual(b, a, 'CRLF is not an edit');
    for (const [name, sum] of a) {
      if (name === sqlName) assert.notEqual(c.get(name), sum, 'the edited file has a new checksum');
      else assert.equal(c.get(name), sum, `${name} was not edited`);
    }
  });
});
