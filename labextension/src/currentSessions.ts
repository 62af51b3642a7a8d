/**
 * The sessions of the current notebook's kernel, for the side panel and the status
 * bar: which notebook is current, what its kernel last listed, and one signal when
 * either changes.
 *
 * The list comes from the kernel's feed (`channel.ts`), which sends it once per
 * change (opened, a change of state, gone), so nothing here polls: whoever listens
 * does work only when there is something new. A cell added, moved or deleted in a
 * notebook with sessions is a change too: the panel names cells by their place.
 */
import { NotebookPanel, INotebookTracker } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ISessionInfo } from './messages';
import { NotebookSessions } from './notebookSessions';

export class CurrentSessions implements IDisposable {
  constructor(private readonly tracker: INotebookTracker) {
    tracker.currentChanged.connect(this.follow, this);
    this.follow();
  }

  /** The current notebook, if it is one with a link to its kernel. */
  get panel(): NotebookPanel | null {
    return this.link?.panel ?? null;
  }

  /** Its kernel's sessions, as last listed. */
  get sessions(): readonly ISessionInfo[] {
    return this.link?.channel.sessions ?? [];
  }

  /** When the list arrived (ms since the epoch): ages are as of then. */
  get received(): number {
    return this._received;
  }

  /** Emitted when the current notebook, its sessions or its cells' order changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The index of cell `cellId` in the current notebook (-1: not there, or none). */
  cellIndex(cellId: string | null): number {
    const model = this.panel?.content.model;
    if (!model || !cellId) {
      return -1;
    }
    return Array.from(model.cells).findIndex(cell => cell.id === cellId);
  }

  /** Ask the kernel to close session `sessionId` (as its Close button does). */
  closeSession(sessionId: string): void {
    this.link?.closeSession(sessionId);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.tracker.currentChanged.disconnect(this.follow, this);
    this.unfollow();
    Signal.clearData(this);
  }

  private follow(): void {
    this.unfollow();
    const panel = this.tracker.currentWidget;
    this.link = panel ? (NotebookSessions.of(panel) ?? null) : null;
    this.link?.channel.sessionsChanged.connect(this.onSessions, this);
    this.link?.panel.content.model?.cells.changed.connect(this.onCells, this);
    this.onSessions();
  }

  private unfollow(): void {
    this.link?.channel.sessionsChanged.disconnect(this.onSessions, this);
    this.link?.panel.content.model?.cells.changed.disconnect(this.onCells, this);
    this.link = null;
  }

  private onSessions(): void {
    this._received = Date.now();
    this._changed.emit();
  }

  private onCells(): void {
    if (this.sessions.length > 0) {
      this._changed.emit();
    }
  }

  private link: NotebookSessions | null = null;
  private _received = Date.now();
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
