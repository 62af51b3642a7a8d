import type { ISessionInfo } from '../messages';
import {
  Translate,
  cost,
  diffKeys,
  formatMegabytes,
  formatSeconds,
  groupsOf,
  opened,
  totalMemory
} from '../panelRows';

/** JupyterLab's null translation: %1, %2 replaced, nothing translated. */
const fill = (text: string, args: unknown[]): string =>
  args.reduce<string>((s, arg, i) => s.replace(`%${i + 1}`, String(arg)), text);
const trans: Translate = {
  __: (text: string, ...args: unknown[]) => fill(text, args),
  _n: (one: string, many: string, n: number, ...args: unknown[]) =>
    fill(n === 1 ? one : many, [n, ...args])
} as Translate;

function session(id: string, cell: string | null, extra: Partial<ISessionInfo> = {}): ISessionInfo {
  return {
    id,
    kind: 'owned',
    type: 'Owned',
    cell,
    state: 'RUNNING',
    age: 5,
    error: null,
    ...extra
  };
}

const NOTEBOOK = ['setup', 'c1', 'c2'];
const cellIndex = (id: string | null): number => (id ? NOTEBOOK.indexOf(id) : -1);

describe('groupsOf', () => {
  it("groups by cell in the notebook's order, gone and cell-less last", () => {
    const sessions = [
      session('a', 'gone-cell'),
      session('b', 'c2'),
      session('c', null),
      session('d', 'c1'),
      session('e', 'c2')
    ];
    const groups = groupsOf(sessions, cellIndex, trans, Date.now());
    expect(groups.map(g => [g.key, g.heading, g.rows.map(r => r.key)])).toEqual([
      ['c1', 'cell [2]', ['d']],
      ['c2', 'cell [3]', ['b', 'e']],
      ['', 'no cell', ['c']],
      ['gone-cell', 'a cell that is gone', ['a']]
    ]);
  });

  it('names each row and its Close button for a screen reader', () => {
    const row = groupsOf([session('a', 'c1', { what: 'process', pid: 42 })], cellIndex, trans, 0)[0]
      .rows[0];
    expect(row.columns).toEqual(['owned (Owned)', '']);
    expect(row.detail).toMatch(/^RUNNING · process, pid 42 · since \d\d:\d\d:\d\d$/);
    expect(row.label).toBe('owned (Owned), process, pid 42 in cell [2], RUNNING');
    expect(row.closeLabel).toBe('Close owned (Owned), process, pid 42 in cell [2]');
    expect(row.cellIndex).toBe(1);
  });

  it('shows the cost where the row has it, and nothing where not', () => {
    const rows = groupsOf(
      [session('a', 'c1', { cpu_s: 3.14159, memory_mb: 120.4, processes: 3 }), session('b', 'c1')],
      cellIndex,
      trans,
      0
    )[0].rows;
    expect(rows.map(r => r.columns[1])).toEqual(['3.1 s CPU\n120 MB\n3 proc', '']);
  });
});

describe('cost formatting', () => {
  it('says seconds as short as is still exact enough', () => {
    expect([0.042, 3.14159, 12.4, 300, 9000].map(formatSeconds)).toEqual([
      '0.04 s',
      '3.1 s',
      '12 s',
      '5 min',
      '2.5 h'
    ]);
  });

  it('says megabytes, and gigabytes past one', () => {
    expect([0.44, 9.96, 120.4, 1536].map(formatMegabytes)).toEqual([
      '0.4 MB',
      '10 MB',
      '120 MB',
      '1.5 GB'
    ]);
  });

  it('leaves out what a row does not say (one process, no numbers)', () => {
    expect(cost(session('a', null, { processes: 1, memory_mb: 2 }))).toBe('2 MB');
    expect(cost(session('a', null, { cpu_s: 'n/a' }))).toBe('');
  });

  it('sums the memory where known, null where no row says', () => {
    const sessions = [session('a', null, { memory_mb: 1.5 }), session('b', null)];
    expect(totalMemory(sessions)).toBe(1.5);
    expect(totalMemory([session('b', null)])).toBeNull();
    expect(totalMemory([])).toBeNull();
  });

  it('turns an age into the clock time the session opened', () => {
    const now = new Date(2026, 11, 7, 14, 5, 30).getTime();
    expect(opened(90, now)).toBe('14:04:00');
  });
});

describe('diffKeys', () => {
  it('says which rows go and which come; those that stay are neither', () => {
    expect(diffKeys(['a', 'b', 'c'], ['c', 'd', 'a'])).toEqual({ removed: ['b'], added: ['d'] });
    expect(diffKeys([], [])).toEqual({ removed: [], added: [] });
  });
});

describe('a session counting down its time to live', () => {
  it('says when it closes, and nothing while watched', () => {
    const now = new Date(2026, 11, 7, 14, 0, 0).getTime();
    const [watched, unwatched] = groupsOf(
      [session('w', 'c1'), session('u', 'c2', { closes_in_s: 90 })],
      cellIndex,
      trans,
      now
    ).map(g => g.rows[0].detail);
    expect(watched).not.toContain('closes');
    expect(unwatched).toContain('closes at 14:01:30 unless a page shows it');
  });
});
