import { isHeartbeat, isPipeReply, isSessionsMessage } from '../messages';

describe('what the kernel sends, checked on arrival', () => {
  it('takes a list of sessions, and nothing shaped otherwise', () => {
    const row = { id: 'a-1', kind: 'bokeh', type: 'Ticker', cell: null, state: 'RUNNING' };
    expect(isSessionsMessage({ type: 'sessions', sessions: [row] })).toBe(true);
    expect(isSessionsMessage({ type: 'sessions', sessions: [] })).toBe(true);
    for (const bad of [
      null,
      'sessions',
      { type: 'sessions' },
      { type: 'sessions', sessions: { 'a-1': row } },
      { type: 'sessions', sessions: [null] },
      { type: 'sessions', sessions: [{ ...row, id: 7 }] },
      { type: 'session', sessions: [row] }
    ]) {
      expect(isSessionsMessage(bad)).toBe(false);
    }
  });

  it('takes a pipe message or close, and nothing shaped otherwise', () => {
    expect(isPipeReply({ type: 'pipe_msg', pipe: 'p1', data: { fragments: [] } })).toBe(true);
    expect(isPipeReply({ type: 'pipe_closed', pipe: 'p1', data: {} })).toBe(true);
    for (const bad of [
      { pipe: 'p1', data: {} }, // no type: the shape before the vocabulary
      { pipe: 'p1', closed: {} },
      { type: 'pipe_msg', pipe: 1, data: {} },
      { type: 'pipe_msg', pipe: 'p1', data: 'text' },
      { type: 'pipe_msg', pipe: 'p1', data: [] },
      { type: 'pipe_closed', pipe: 'p1' },
      { type: 'sessions', pipe: 'p1', data: {} }
    ]) {
      expect(isPipeReply(bad)).toBe(false);
    }
  });

  it('takes a heartbeat of a period, and nothing shaped otherwise', () => {
    expect(isHeartbeat({ type: 'heartbeat', seconds: 15 })).toBe(true);
    for (const bad of [
      { type: 'heartbeat' },
      { type: 'heartbeat', seconds: '15' },
      { type: 'heartbeat', seconds: 0 },
      { type: 'sessions', seconds: 15 }
    ]) {
      expect(isHeartbeat(bad)).toBe(false);
    }
  });
});
