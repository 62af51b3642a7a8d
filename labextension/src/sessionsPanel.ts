/**
 * The side panel: the sessions of the current notebook's kernel.
 *
 * Grouped by cell, in the notebook's order: a heading per cell, then one row per
 * session (kind, owning cell, state, what it is: a port, a pid; what it costs: CPU,
 * memory; when it opened). Clicking a row, or Enter on it, shows its cell; the
 * row's button closes the session. The list comes from the kernel (the feed comm),
 * so it shows what the kernel holds, not what the page thinks it holds.
 *
 * It renders when the list changes and only while it is shown: hidden, it notes
 * that it is behind and catches up when shown. `data-renders` on its node counts
 * its renders (the browser tests read it).
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CurrentSessions } from './currentSessions';
import { groupsOf } from './panelRows';
import { PanelTable } from './panelTable';

export class SessionsPanel extends Widget {
  constructor(
    private readonly current: CurrentSessions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-sessions-panel';
    this.addClass('jp-jupyter-sessions-panel');
    this.title.caption = trans.__('Sessions of this notebook');
    this.node.tabIndex = -1; // where the focus goes when the last focused row closes
    this.table = new PanelTable(trans, {
      reveal: index => this.reveal(index),
      close: sessionId => current.closeSession(sessionId)
    });
    this.empty = document.createElement('p');
    this.empty.textContent = trans.__('No sessions in this notebook.');
    this.node.append(this.empty, this.table.node);
    this.table.node.hidden = true;
    current.changed.connect(this.onChanged, this);
  }

  /** How many times the panel rendered (also `data-renders` on its node). */
  get renders(): number {
    return this._renders;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.current.changed.disconnect(this.onChanged, this);
    super.dispose();
  }

  /** Activated (its tab, its command): the focus comes in, a Tab from its first row. */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      this.node.focus();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.behind) {
      this.render();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.behind && this.isVisible) {
      this.render();
    }
  }

  private onChanged(): void {
    if (!this.isVisible) {
      this.behind = true;
      return;
    }
    this.render();
  }

  private render(): void {
    this.behind = false;
    this._renders++;
    this.node.dataset.renders = String(this._renders);
    const current = this.current;
    const groups = groupsOf(
      current.panel ? current.sessions : [],
      id => current.cellIndex(id),
      this.trans,
      current.received
    );
    this.empty.hidden = groups.length > 0;
    this.table.node.hidden = groups.length === 0;
    this.table.update(groups);
  }

  private reveal(index: number): void {
    const panel: NotebookPanel | null = this.current.panel;
    const cell = panel?.content.widgets[index];
    if (!panel || !cell) {
      return;
    }
    panel.content.activeCellIndex = index;
    void panel.content.scrollToCell(cell);
  }

  private readonly table: PanelTable;
  private readonly empty: HTMLParagraphElement;
  /** The list changed while the panel was hidden (or it never rendered). */
  private behind = true;
  private _renders = 0;
}
