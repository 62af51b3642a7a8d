/**
 * One notebook's link to its kernel's sessions: the comm channel, the cell
 * watcher, and the renderer factory for session outputs, living and dying with
 * the notebook panel.
 *
 * A disposed view means its session is gone unless the notebook still holds an
 * output of that session (a moved cell, a re-rendered output) or the clipboard
 * does (a cut cell). That is decided after the current task, once the notebook
 * model has settled, with what else went in it (`departures.ts`).
 */
import { Clipboard } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Panel, Widget } from '@lumino/widgets';

import { releaseDeparted } from './bokehView';
import { CellWatcher } from './cellWatcher';
import { SessionChannel } from './channel';
import { Departures, IDeparture } from './departures';
import { IChannelMessage, sessionIdOf } from './messages';
import { IOutputOwner, RANK, SessionRenderer, rendererFactory } from './renderer';

const CELLS_MIME = 'application/vnd.jupyter.cells';

/** A cell as the notebook model or the clipboard holds it (nbformat JSON). */
interface ICellJSON {
  id?: string;
  outputs?: { data?: unknown }[];
}

export class NotebookSessions implements IOutputOwner, IDisposable {
  /** The link of a notebook panel, once the panel exists. */
  static of(panel: NotebookPanel): NotebookSessions | undefined {
    return links.get(panel);
  }

  constructor(readonly panel: NotebookPanel) {
    links.set(panel, this);
    this.channel = new SessionChannel(panel.sessionContext);
    this.watcher = new CellWatcher(
      panel,
      m => this.say(m),
      id => clipboardCells().some(cell => cell.id === id)
    );
    panel.content.rendermime.addFactory(rendererFactory(this), RANK);
    // Synchronous: the save takes the notebook's content right after 'started'.
    panel.context.saveState.connect((_, state) => {
      if (state === 'started') {
        this.keepPictures();
      }
    });
    panel.sessionContext.statusChanged.connect((_, status) => {
      if (KERNEL_GOING.has(status)) {
        this.keepPictures();
      }
    });
    panel.sessionContext.kernelChanged.connect(() => this.keepPictures());
  }

  readonly channel: SessionChannel;

  get kernel(): Kernel.IKernelConnection | null {
    return this.panel.sessionContext.session?.kernel ?? null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  outputRendered(): void {
    this.channel.connect();
  }

  viewShown(sessionId: string): void {
    this.channel.send({ type: 'view_shown', session_id: sessionId });
  }

  closeSession(sessionId: string): void {
    this.channel.send({ type: 'close', session_id: sessionId });
  }

  viewDisposed(departure: IDeparture): void {
    if (this._disposed) {
      // The notebook closed, and said its sessions went (dispose).
      if (departure.viewId !== null) {
        releaseDeparted(departure.viewId);
      }
      return;
    }
    this.departures.left(departure);
    this.settleLater();
  }

  /** What the cell watcher found went: cleared cells are said with the settle. */
  private say(message: IChannelMessage): void {
    if (message.type === 'cells_cleared') {
      this.departures.cleared(message.cells);
      queueMicrotask(() => this.sayCleared()); // once the task's script ends
      return;
    }
    if (message.type === 'cells_deleted') {
      this.departures.said(message.cells);
    }
    this.channel.send(message);
  }

  /** Say the cells cleared in this task, in one message (`takeCleared`). */
  private sayCleared(): void {
    const cells = this._disposed ? [] : this.departures.takeCleared();
    if (cells.length > 0) {
      this.channel.send({ type: 'cells_cleared', cells });
    }
  }

  private settleLater(): void {
    if (this.settling === 0) {
      this.settling = window.setTimeout(() => this.settle(), 0);
    }
  }

  /** Decide what went in the task that just ended (`departures.ts`), and say it. */
  private settle(): void {
    if (this._disposed) {
      return;
    }
    this.watcher.settle(); // deleted cells first: their views need no word
    this.sayCleared(); // said already, when the clearing task's script ended
    this.settling = 0;
    const gone = this.departures.settle(id => this.holds(id));
    for (const sessionId of gone.disposed) {
      this.channel.send({ type: 'view_disposed', session_id: sessionId });
    }
    gone.released.forEach(releaseDeparted);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this.settling);
    this.watcher.dispose();
    // The notebook closed: its sessions went. Said now, while the kernel
    // connection lives (JupyterLab disposes it right after the panel, before
    // the views' deferred checks run), and on the main shell (see channel.ts).
    for (const sessionId of sessionIds(this.cells())) {
      this.channel.send({ type: 'view_disposed', session_id: sessionId }, true);
    }
    const gone = this.departures.settle(() => false);
    if (gone.cleared.length > 0) {
      this.channel.send({ type: 'cells_cleared', cells: gone.cleared }, true);
    }
    gone.released.forEach(releaseDeparted);
    this.channel.dispose();
  }

  /** Keep a picture of every live view of the notebook in its output. */
  private keepPictures(): void {
    if (this.panel.isDisposed) {
      return;
    }
    for (const cell of this.panel.content.widgets) {
      // A code cell's outputs; not `instanceof CodeCell`: Voilà shares no
      // @jupyterlab/cells, and importing it would fail the whole extension there.
      const outputs = (cell as unknown as { outputArea?: { widgets: readonly Widget[] } })
        .outputArea;
      for (const child of outputs?.widgets ?? []) {
        const parts = child instanceof Panel ? child.widgets : [child];
        parts.forEach(part => part instanceof SessionRenderer && part.keepPicture());
      }
    }
  }

  /** Does the notebook, or the clipboard, still hold an output of `sessionId`? */
  private holds(sessionId: string): boolean {
    const cells = this.panel.isDisposed ? [] : this.cells();
    return sessionIds([...cells, ...clipboardCells()]).has(sessionId);
  }

  /** The notebook's cells as nbformat JSON (the model outlives the panel a little). */
  private cells(): ICellJSON[] {
    const model = this.panel.context.model;
    return model.isDisposed ? [] : Array.from(model.cells, c => c.toJSON() as ICellJSON);
  }

  private readonly watcher: CellWatcher;
  private readonly departures = new Departures();
  /** The timer of the next settle, or 0. */
  private settling = 0;
  private _disposed = false;
}

/** Kernel states after which its views are gone (shut down, restarted, died). */
const KERNEL_GOING = new Set<Kernel.Status>([
  'terminating',
  'restarting',
  'autorestarting',
  'dead'
]);

const links = new WeakMap<NotebookPanel, NotebookSessions>();

/** The ids of the sessions whose outputs `cells` hold. */
function sessionIds(cells: ICellJSON[]): Set<string> {
  const ids = new Set<string>();
  for (const cell of cells) {
    for (const output of cell.outputs ?? []) {
      const id = sessionIdOf(output.data);
      if (id) {
        ids.add(id);
      }
    }
  }
  return ids;
}

function clipboardCells(): ICellJSON[] {
  const data = Clipboard.getInstance().getData(CELLS_MIME);
  return Array.isArray(data) ? (data as ICellJSON[]) : [];
}

/** Attaches a `NotebookSessions` to every notebook panel as it is created. */
export class NotebookSessionsExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  createNew(panel: NotebookPanel): IDisposable {
    const sessions = new NotebookSessions(panel);
    panel.disposed.connect(() => sessions.dispose());
    return sessions;
  }
}
