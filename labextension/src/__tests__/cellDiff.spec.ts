import { DeletionTracker } from '../cellDiff';

describe('DeletionTracker', () => {
  it('reports a deleted cell once', () => {
    const tracker = new DeletionTracker();
    tracker.reset(['a', 'b', 'c']);
    tracker.update(['a', 'c']);
    expect(tracker.settle()).toEqual(['b']);
    expect(tracker.settle()).toEqual([]);
  });

  it('does not report a moved cell (remove + insert with the same id)', () => {
    const tracker = new DeletionTracker();
    tracker.reset(['a', 'b', 'c']);
    tracker.update(['a', 'c']);
    tracker.update(['b', 'a', 'c']);
    expect(tracker.settle()).toEqual([]);
  });

  it('does not report cells a revert removes and re-adds', () => {
    const tracker = new DeletionTracker();
    tracker.reset(['a', 'b']);
    tracker.update([]);
    tracker.update(['a', 'b']);
    expect(tracker.settle()).toEqual([]);
  });

  it('spares cut cells the clipboard still holds', () => {
    const tracker = new DeletionTracker();
    tracker.reset(['a', 'b', 'c']);
    tracker.update(['c']);
    expect(tracker.settle(id => id === 'a')).toEqual(['b']);
  });

  it('treats a cell pasted back later as new, and a new cell as not deleted', () => {
    const tracker = new DeletionTracker();
    tracker.reset(['a']);
    tracker.update(['a', 'n']);
    expect(tracker.settle()).toEqual([]);
    tracker.update(['n']);
    expect(tracker.settle()).toEqual(['a']);
    tracker.update(['n', 'a']);
    expect(tracker.settle()).toEqual([]);
  });
});
