/**
 * The side panel: the sessions of the current notebook's kernel, live.
 *
 * One row per session (kind, owning cell, state, age). Clicking a row scrolls
 * to its cell; the row's button closes the session. The list comes from the
 * kernel (the feed comm), so it shows what the kernel holds, not what the page
 * thinks it holds.
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
    const headings = [trans.__('kind'), trans.__('cell'), trans.__('state'), trans.__('age')];
    table.append(row('th', [...headings, '']));
    for (const session of sessions) {
      table.append(this.sessionRow(panel, session));
    }
    this.node.replaceChildren(table);
  }

  private sessionRow(panel: NotebookPanel, session: ISessionInfo): HTMLElement {
    const trans = this.trans;
    const index = cellIndex(panel, session.cell);
    const age = session.age + (Date.now() - this.received) / 1000;
    const tr = row('td', [
      `${session.kind} (${session.type})`,
      index < 0 ? (session.cell ? trans.__('gone') : trans.__('none')) : `[${index + 1}]`,
      session.state,
      trans.__('%1 s', Math.round(age)),
      ''
    ]);
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
