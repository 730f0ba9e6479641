import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDifference, setDigest } from '../../src/fleet/definition-set.js';

const m = (name: string, content = name) => ({ name, checksum: content.padEnd(64, '0') });
const coordinator = [m('001_a'), m('002_b'), m('003_c')];
const digest = setDigest(coordinator);

describe('a queue job’s migration set', () => {
  it('is the same for the same names and checksums', () => {
    assert.equal(firstDifference(digest, [m('001_a'), m('002_b'), m('003_c')]), undefined);
  });
  it('names the first difference from the worker’s side', () => {
    assert.equal(
      firstDifference(digest, [m('001_a'), m('002_b', 'edited'), m('003_c')]),
      "002_b differs from the coordinator's copy",
    );
    assert.equal(
      firstDifference(digest, [m('001_a'), m('003_c')]),
      'this worker lacks one the coordinator has before 003_c',
    );
    assert.equal(
      firstDifference(digest, [m('001_a'), m('002_b')]),
      "this worker lacks the coordinator's last 1, after 002_b",
    );
    assert.equal(
      firstDifference(digest, [...coordinator, m('004_d')]),
      'this worker has 1 the coordinator has not, from 004_d',
    );
    assert.equal(
      firstDifference(digest, [m('001_a'), m('002_x'), m('002_b'), m('003_c')]),
      'this worker has 002_x, which the coordinator has not',
    );
    assert.equal(firstDifference(setDigest([]), []), undefined);
  });
});
