// The upgrade's checkpoint (src/upgrade/journal-stop.ts): once the journal fails, the run stops once and
// every later checkpoint fails at once — including when the flush itself passed but a batch it did not
// wait for had been dropped (the journal says so to one flush only).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Journal } from '../../src/journal/journal.js';
import { JournalFailed, journalCheckpoint } from '../../src/upgrade/journal-stop.js';

function fakeJournal(state: { flushError?: Error; dropped?: Error; drops?: number }): Journal {
  return {
    flush: async () => {
      if (state.flushError) throw state.flushError;
    },
    get dropMark() {
      return state.drops ?? 0;
    },
    droppedSince: (mark: number) => ((state.drops ?? 0) > mark ? state.dropped : undefined),
  } as unknown as Journal;
}

describe('the upgrade journal checkpoint', () => {
  it('passes while the journal stores every write', async () => {
    const stops: string[] = [];
    const j = journalCheckpoint(fakeJournal({}), (r) => stops.push(r));
    await j.checkpoint();
    await j.checkpoint();
    assert.deepEqual(stops, []);
    assert.equal(j.failure(), undefined);
  });

  it('a failed flush stops the run once, and every later checkpoint fails though the journal recovered', async () => {
    const state: { flushError?: Error } = { flushError: new Error('database or disk is full') };
    const stops: string[] = [];
    const j = journalCheckpoint(fakeJournal(state), (r) => stops.push(r));
    await assert.rejects(j.checkpoint(), (err: unknown) => {
      assert.ok(err instanceof JournalFailed);
      assert.equal(err.info.code, 'JOURNAL_FAILED');
      assert.match(err.info.message, /database or disk is full/);
      return true;
    });
    state.flushError = undefined;
    await assert.rejects(j.checkpoint(), JournalFailed);
    assert.deepEqual(stops, ['not started: the journal could not be written (database or disk is full)']);
  });

  it('a batch dropped behind a flush that passed fails the checkpoint too', async () => {
    const stops: string[] = [];
    const state: { dropped?: Error; drops?: number } = {};
    const j = journalCheckpoint(fakeJournal(state), (r) => stops.push(r));
    await j.checkpoint();
    Object.assign(state, { dropped: new Error('SQLITE_FULL'), drops: 1 });
    await assert.rejects(j.checkpoint(), /SQLITE_FULL/);
    assert.equal(stops.length, 1);
  });

  it("a batch an open journal dropped before this run started is not this run's", async () => {
    const stops: string[] = [];
    const j = journalCheckpoint(fakeJournal({ dropped: new Error('an earlier run'), drops: 1 }), (r) =>
      stops.push(r),
    );
    await j.checkpoint();
    assert.deepEqual(stops, []);
  });
});
