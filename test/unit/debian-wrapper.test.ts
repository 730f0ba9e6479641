// pg_wrapper's choice made once, in-process: the newest installed version that has the program.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unwrappedToolPath } from '../../src/dialect/postgres/debian-wrapper.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-wrapper-'));
after(() => rmSync(root, { recursive: true, force: true }));

function executable(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
}

const wrapper = join(root, 'share/postgresql-common/pg_wrapper');
executable(wrapper);
mkdirSync(join(root, 'bin'));
symlinkSync(wrapper, join(root, 'bin/pg_dump'));
const binRoot = join(root, 'lib');
for (const v of ['9.6', '14', '15']) executable(join(binRoot, v, 'bin/pg_dump'));
// A newer server package without the client program, and a folder that is no version.
mkdirSync(join(binRoot, '16/bin'), { recursive: true });
executable(join(binRoot, 'extra/bin/pg_dump'));

describe("Debian's pg_wrapper, resolved once", () => {
  it('picks the newest version that has the program (numerically: 15 after 9.6)', () => {
    assert.equal(
      unwrappedToolPath('pg_dump', { path: join(root, 'bin'), binRoot }),
      join(binRoot, '15/bin/pg_dump'),
    );
  });

  it('leaves a tool that is not the wrapper alone', () => {
    executable(join(root, 'plain/pg_dump'));
    assert.equal(
      unwrappedToolPath('pg_dump', { path: `${join(root, 'plain')}:${join(root, 'bin')}`, binRoot }),
      undefined,
    );
  });

  it('finds nothing when the tool is not on PATH or no version has it', () => {
    assert.equal(unwrappedToolPath('pg_dump', { path: join(root, 'nowhere'), binRoot }), undefined);
    symlinkSync(wrapper, join(root, 'bin/pg_restore'));
    assert.equal(unwrappedToolPath('pg_restore', { path: join(root, 'bin'), binRoot }), undefined);
  });
});
