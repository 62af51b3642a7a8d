/**
 * Watches one notebook's cells and tells the kernel which cells lost their output.
 *
 * Two events only the page can see: `NotebookActions.outputCleared` (the clear
 * commands) and a cell deleted (a diff of cell ids, see `cellDiff.ts`). A cut
 * cell that the clipboard still holds is not deleted: pasting it back keeps its
 * sessions, and if it is never pasted the kernel hears of it with `deletedCells`.
 * Either is one message, whatever views of sessions went with the cells.
 */
import { NotebookActions, Notebook, NotebookPanel } from '@jupyterlab/notebook';
import { Cell } from '@jupyterlab/cells';
import { IDisposable } from '@lumino/disposable';

import { DeletionTracker } from './cellDiff';
import { IChannelMessage } from './messages';

export class CellWatcher implements IDisposable {
  constructor(
    private readonly panel: NotebookPanel,
    private readonly send: (message: IChannelMessage) => void,
    private readonly spared: (cellId: string) => boolean
  ) {
    NotebookActions.outputCleared.connect(this.onOutputCleared, this);
    void panel.context.ready.then(() => this.watch());
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    NotebookActions.outputCleared.disconnect(this.onOutputCleared, this);
    this.panel.content.model?.cells.changed.disconnect(this.onCellsChanged, this);
    window.clearTimeout(this.timer);
  }

  private watch(): void {
    const model = this.panel.content.model;
    if (this._disposed || !model) {
      return;
    }
    this.tracker.reset(this.cellIds());
    model.cells.changed.connect(this.onCellsChanged, this);
  }

  private cellIds(): string[] {
    const model = this.panel.content.model;
    return model ? Array.from(model.cells, cell => cell.id) : [];
  }

  private onCellsChanged(): void {
    this.tracker.update(this.cellIds());
    // Settle after the current task: a move re-inserts the cell synchronously.
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.settle(), 0);
  }

  /**
   * Say which cells were deleted since the last settle. After the task that
   * changed the cells (a move re-inserts the cell within it); the notebook's
   * link calls it before it decides on the views that left (`departures.ts`).
   */
  settle(): void {
    window.clearTimeout(this.timer);
    const cells = this.tracker.settle(this.spared);
    if (cells.length > 0) {
      this.send({ type: 'cells_deleted', cells });
    }
  }

  private onOutputCleared(_: unknown, args: { notebook: Notebook; cell: Cell }): void {
    if (args.notebook === this.panel.content) {
      this.send({ type: 'cells_cleared', cells: [args.cell.model.id] });
    }
  }

  private _disposed = false;
  private timer = 0;
  private readonly tracker = new DeletionTracker();
}
