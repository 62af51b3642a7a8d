import { Departures } from '../departures';

/** A view of session `s1`, owned by cell `c1`, showing live view `v1`. */
const VIEW = { sessionId: 's1', cell: 'c1', viewId: 'v1' };
const nothingHeld = (): boolean => false;

describe('Departures', () => {
  it('says a view went once no output holds its session, and lets go of it', () => {
    const departures = new Departures();
    departures.left(VIEW);
    expect(departures.settle(nothingHeld)).toEqual({
      cleared: [],
      disposed: ['s1'],
      released: ['v1']
    });
    expect(departures.settle(nothingHeld)).toEqual({ cleared: [], disposed: [], released: [] });
  });

  it('makes a clear one message: the cleared cell says its views went', () => {
    const departures = new Departures();
    departures.left(VIEW); // the output's view is disposed, then the clear is seen
    departures.cleared(['c1']);
    expect(departures.settle(nothingHeld)).toEqual({
      cleared: ['c1'],
      disposed: [],
      released: ['v1']
    });
  });

  it('says the cells "clear all outputs" cleared in one message', () => {
    const departures = new Departures();
    departures.left(VIEW);
    departures.cleared(['c1']);
    departures.left({ sessionId: 's3', cell: 'c3', viewId: 'v3' });
    departures.cleared(['c2']);
    departures.cleared(['c3']);
    expect(departures.settle(nothingHeld)).toEqual({
      cleared: ['c1', 'c2', 'c3'],
      disposed: [],
      released: ['v1', 'v3']
    });
  });

  it('hands over the cleared cells at once; their views, before or after, need no word', () => {
    const departures = new Departures();
    departures.left(VIEW);
    departures.cleared(['c1']);
    departures.cleared(['c2']);
    expect(departures.takeCleared()).toEqual(['c1', 'c2']);
    expect(departures.takeCleared()).toEqual([]);
    departures.left({ sessionId: 's2', cell: 'c2', viewId: 'v2' }); // disposed after the clear
    expect(departures.settle(nothingHeld)).toEqual({
      cleared: [],
      disposed: [],
      released: ['v1', 'v2']
    });
  });

  it('makes a delete one message: the deleted cell was said', () => {
    const departures = new Departures();
    departures.left(VIEW);
    departures.said(['c1']);
    expect(departures.settle(nothingHeld).disposed).toEqual([]);
  });

  it('keeps a moved or cut cell: the notebook or the clipboard still holds it', () => {
    const departures = new Departures();
    departures.left(VIEW);
    expect(departures.settle(id => id === 's1')).toEqual({
      cleared: [],
      disposed: [],
      released: []
    });
  });

  it('says a session shown in another cell went, its own cell not cleared', () => {
    const departures = new Departures();
    departures.left({ sessionId: 's2', cell: 'c2', viewId: null });
    departures.left({ sessionId: 's2', cell: 'c2', viewId: null });
    departures.cleared(['c1']);
    expect(departures.settle(nothingHeld)).toEqual({
      cleared: ['c1'],
      disposed: ['s2'],
      released: []
    });
  });

  it('forgets what was said at each settle', () => {
    const departures = new Departures();
    departures.cleared(['c1']);
    departures.settle(nothingHeld);
    departures.left(VIEW); // a later re-run's old output, say
    expect(departures.settle(nothingHeld).disposed).toEqual(['s1']);
  });
});
