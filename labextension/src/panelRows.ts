/**
 * What the side panel shows, as plain data: the kernel's sessions grouped by cell,
 * in the notebook's order, each row with its texts, its cost and its accessible
 * name. No DOM here (`panelTable.ts` puts it on the page), so it is unit tested.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { ISessionInfo } from './messages';

/** The translation calls the rows need. */
export type Translate = Pick<TranslationBundle, '__' | '_n'>;

/** One session's row. */
export interface ISessionRow {
  /** The session's id: the row's key across updates. */
  key: string;
  /** The texts of its columns: the session (its kind and type), its cost. */
  columns: string[];
  /** Under the session's name: its state, what it is (a port, a pid), when it opened. */
  detail: string;
  /** Its state (RUNNING, CRASHED...): the row's `data-state`, for its colour. */
  state: string;
  /** What a screen reader says for the row and for its Close button. */
  label: string;
  closeLabel: string;
  /** The session's error, shown as the row's tooltip ('' for none). */
  error: string;
  /** Its cell's index in the notebook (-1: gone, or none). */
  cellIndex: number;
}

/** A cell's group: its heading and its sessions' rows. */
export interface ICellGroup {
  /** The cell's id ('' for sessions with no cell): the group's key across updates. */
  key: string;
  heading: string;
  rows: ISessionRow[];
}

/** The column headings, in the order of `ISessionRow.columns` (then Close). */
export function headings(trans: Translate): string[] {
  return [trans.__('session'), trans.__('cost')];
}

/**
 * The groups to show: one per cell, in the notebook's order (gone and cell-less
 * last), each session once.
 *
 * `cellIndex(id)` is the cell's index in the notebook now (-1 if it has none);
 * `now` is when the list arrived (ms), which turns each session's age into the
 * clock time it opened.
 */
export function groupsOf(
  sessions: readonly ISessionInfo[],
  cellIndex: (cellId: string | null) => number,
  trans: Translate,
  now: number
): ICellGroup[] {
  const groups = new Map<string, ICellGroup>();
  const order = (cell: string | null): number => {
    const index = cellIndex(cell);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  const sorted = [...sessions].sort(
    (a, b) => order(a.cell) - order(b.cell) || (a.cell ?? '').localeCompare(b.cell ?? '')
  );
  for (const session of sorted) {
    const key = session.cell ?? '';
    const index = cellIndex(session.cell);
    let group = groups.get(key);
    if (!group) {
      group = { key, heading: cellHeading(index, session.cell, trans), rows: [] };
      groups.set(key, group);
    }
    group.rows.push(sessionRow(session, index, trans, now));
  }
  return Array.from(groups.values());
}

function cellHeading(index: number, cellId: string | null, trans: Translate): string {
  if (index >= 0) {
    return trans.__('cell [%1]', index + 1);
  }
  return cellId ? trans.__('a cell that is gone') : trans.__('no cell');
}

function sessionRow(
  session: ISessionInfo,
  index: number,
  trans: Translate,
  now: number
): ISessionRow {
  const kind = `${session.kind} (${session.type})`;
  const what = describe(session);
  const columns = [kind, cost(session)];
  const since = trans.__('since %1', opened(session.age, now));
  const closes = isNumber(session.closes_in_s)
    ? trans.__('closes at %1 unless a page shows it', opened(-session.closes_in_s, now))
    : '';
  const where = cellHeading(index, session.cell, trans);
  const name = [kind, what].filter(Boolean).join(', ');
  return {
    key: session.id,
    columns,
    detail: [session.state, what, since, closes].filter(Boolean).join(' · '),
    state: session.state,
    label: trans.__('%1 in %2, %3', name, where, session.state),
    closeLabel: trans.__('Close %1 in %2', name, where),
    error: session.error ?? '',
    cellIndex: index
  };
}

/** What a session is, in a few words: an owned thing's kind, its port or pid. */
export function describe(session: ISessionInfo): string {
  const parts: string[] = [];
  for (const [key, label] of [
    ['what', ''],
    ['port', 'port '],
    ['pid', 'pid ']
  ]) {
    const value = session[key];
    if (typeof value === 'string' || typeof value === 'number') {
      parts.push(`${label}${value}`);
    }
  }
  return parts.join(', ');
}

/**
 * What a session costs, where its row says: CPU seconds (`cpu_s`), memory
 * (`memory_mb`) and how many processes (`processes`), a line each. '' where it
 * says none.
 */
export function cost(session: ISessionInfo): string {
  const parts: string[] = [];
  const cpu = session.cpu_s;
  const memory = session.memory_mb;
  const processes = session.processes;
  if (isNumber(cpu)) {
    parts.push(`${formatSeconds(cpu)} CPU`);
  }
  if (isNumber(memory)) {
    parts.push(formatMegabytes(memory));
  }
  if (isNumber(processes) && processes > 1) {
    parts.push(`${processes} proc`);
  }
  return parts.join('\n'); // a line each: the column stays narrow
}

/** Seconds, as short as is still exact enough: 0.04 s, 12 s, 4 min, 2.5 h. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) {
    return `${round(seconds, seconds < 1 ? 2 : 1)} s`;
  }
  if (seconds < 120) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 7200) {
    return `${Math.round(seconds / 60)} min`;
  }
  return `${round(seconds / 3600, 1)} h`;
}

/** Megabytes: 0.4 MB, 12 MB, 1.5 GB. */
export function formatMegabytes(megabytes: number): string {
  if (megabytes < 10) {
    return `${round(megabytes, 1)} MB`;
  }
  if (megabytes < 1024) {
    return `${Math.round(megabytes)} MB`;
  }
  return `${round(megabytes / 1024, 1)} GB`;
}

/** The memory the sessions use, where their rows say (null: none says). */
export function totalMemory(sessions: readonly ISessionInfo[]): number | null {
  const known = sessions.map(s => s.memory_mb).filter(isNumber);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

/**
 * The clock time (HH:MM:SS) a session `age` seconds old opened, as of `now` (ms);
 * a negative `age` is a time to come (when an unwatched session closes).
 */
export function opened(age: number, now: number): string {
  const at = new Date(now - age * 1000);
  return [at.getHours(), at.getMinutes(), at.getSeconds()]
    .map(n => String(n).padStart(2, '0'))
    .join(':');
}

/** How the children keyed `before` become those keyed `after`: which go, which come. */
export function diffKeys(
  before: readonly string[],
  after: readonly string[]
): { removed: string[]; added: string[] } {
  const old = new Set(before);
  const now = new Set(after);
  return {
    removed: before.filter(key => !now.has(key)),
    added: after.filter(key => !old.has(key))
  };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function round(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}
