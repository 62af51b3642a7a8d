/**
 * The side panel: the sessions of the current notebook's kernel, live.
 *
 * Grouped by cell, in the notebook's order: a heading row per cell, then one row
 * per session (kind, owning cell, state, what it is: a port, a pid and its tree's
 * CPU and memory, why it still runs; age). Clicking a row scrolls to its cell;
 * the row's button closes the session. The list comes from the kernel (the feed
 * comm), so it shows what the kernel holds, not what the page thinks it holds.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ISessionInfo } from './messages';
import { NotebookSessions } from './notebookSessions';

const AGE_TICK_MS = 1000;

export class SessionsPanel extends Widget {
  constructor(
    private readonly tracker: INotebookTracker,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-sessions-panel';
    this.addClass('jp-jupyter-sessions-panel');
    this.title.caption = trans.__('Sessions of this notebook');
    tracker.currentChanged.connect(this.follow, this);
    this.follow();
    this.timer = window.setInterval(() => this.render(), AGE_TICK_MS);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this.timer);
    this.tracker.currentChanged.disconnect(this.follow, this);
    this.link?.channel.sessionsChanged.disconnect(this.onSessions, this);
    super.dispose();
  }

  /** Show the sessions of the notebook that is current now. */
  private follow(): void {
    this.link?.channel.sessionsChanged.disconnect(this.onSessions, this);
    const panel = this.tracker.currentWidget;
    this.link = panel ? (NotebookSessions.of(panel) ?? null) : null;
    this.link?.channel.sessionsChanged.connect(this.onSessions, this);
    this.onSessions();
  }

  private onSessions(): void {
    this.received = Date.now();
    this.render();
  }

  private render(): void {
    const sessions = this.link?.channel.sessions ?? [];
    const panel = this.link?.panel;
    if (!panel || sessions.length === 0) {
      this.node.replaceChildren(paragraph(this.trans.__('No sessions in this notebook.')));
      return;
    }
    const table = document.createElement('table');
    const trans = this.trans;
    const headings = [trans.__('kind'), trans.__('cell'), trans.__('state')];
    table.append(row('th', [...headings, trans.__('what'), trans.__('age'), '']));
    let group: string | null | undefined = undefined;
    for (const session of byCell(panel, sessions)) {
      if (session.cell !== group) {
        group = session.cell;
        table.append(this.cellRow(panel, session.cell));
      }
      table.append(this.sessionRow(panel, session));
    }
    this.node.replaceChildren(table);
  }

  private cellRow(panel: NotebookPanel, cellId: string | null): HTMLElement {
    const index = cellIndex(panel, cellId);
    const trans = this.trans;
    const name =
      index >= 0
        ? trans.__('cell [%1]', index + 1)
        : cellId
          ? trans.__('a cell that is gone')
          : trans.__('no cell');
    const tr = row('th', [name]);
    tr.className = 'jp-jupyter-sessions-cell';
    (tr.firstElementChild as HTMLTableCellElement).colSpan = 6;
    return tr;
  }

  private sessionRow(panel: NotebookPanel, session: ISessionInfo): HTMLElement {
    const trans = this.trans;
    const index = cellIndex(panel, session.cell);
    const age = session.age + (Date.now() - this.received) / 1000;
    const tr = row('td', [
      `${session.kind} (${session.type})`,
      index < 0 ? (session.cell ? trans.__('gone') : trans.__('none')) : `[${index + 1}]`,
      session.state,
      describe(session),
      trans.__('%1 s', Math.round(age)),
      ''
    ]);
    if (session.error) {
      tr.title = session.error;
    }
    tr.dataset.sessionId = session.id;
    tr.addEventListener('click', () => scrollToCell(panel, index));
    const close = document.createElement('button');
    close.className = 'jp-jupyter-sessions-close jp-mod-styled';
    close.textContent = trans.__('Close');
    close.title = trans.__('Close session %1', session.id);
    close.addEventListener('click', event => {
      event.stopPropagation();
      this.link?.channel.send({ type: 'close', session_id: session.id });
    });
    tr.lastElementChild?.append(close);
    return tr;
  }

  private link: NotebookSessions | null = null;
  private received = Date.now();
  private readonly timer: number;
}

/** Sessions in the order of their cells in the notebook; gone and cell-less last. */
function byCell(panel: NotebookPanel, sessions: readonly ISessionInfo[]): ISessionInfo[] {
  const order = (session: ISessionInfo): number => {
    const index = cellIndex(panel, session.cell);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  const id = (session: ISessionInfo): string => session.cell ?? '';
  return [...sessions].sort((a, b) => order(a) - order(b) || id(a).localeCompare(id(b)));
}

/** What a session is, in a few words: an owned thing's kind, port or pid, and cost. */
function describe(session: ISessionInfo): string {
  const parts: string[] = [];
  for (const [key, label] of [
    ['what', ''],
    ['port', 'port '],
    ['pid', 'pid '],
    ['processes', 'processes: '],
    ['cpu_s', 'CPU s: '],
    ['memory_mb', 'MB: ']
  ]) {
    const value = session[key];
    if (typeof value === 'string' || typeof value === 'number') {
      parts.push(`${label}${value}`);
    }
  }
  return parts.join(', ');
}

function cellIndex(panel: NotebookPanel, cellId: string | null): number {
  const model = panel.content.model;
  if (!model || !cellId) {
    return -1;
  }
  return Array.from(model.cells).findIndex(cell => cell.id === cellId);
}

function scrollToCell(panel: NotebookPanel, index: number): void {
  const cell = panel.content.widgets[index];
  if (!cell) {
    return;
  }
  panel.content.activeCellIndex = index;
  void panel.content.scrollToCell(cell);
}

function row(tag: 'th' | 'td', values: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const value of values) {
    const cell = document.createElement(tag);
    cell.textContent = value;
    tr.append(cell);
  }
  return tr;
}

function paragraph(text: string): HTMLElement {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}
