/**
 * Whether a view that left the page went for good: decided here, in the page.
 *
 * The page is the one place that can tell: a moved or re-rendered output (a
 * moved cell, a notebook laid out anew) leaves and comes straight back, and a
 * cut cell's output waits in the clipboard; the kernel sees none of that. So the
 * page decides, and says `view_disposed` only for a view that went; the kernel
 * closes its session at once. (The session widget decides the same way, in
 * `widget.ts`, with what its page can see.)
 *
 * What left in one task is decided together once the task is done, with the
 * notebook's model settled: a clear is one message. Clearing outputs says
 * `cells_cleared` once for every cell cleared in the task (which closes every
 * session those cells own, shown or not), and the views that left with them need
 * no word of their own; deleted cells the same, with `cells_deleted`. A clear is
 * final whatever else the task does, so its cells are said as soon as the task's
 * script ends (`takeCleared`), before the settle: a timer after the task waits for
 * the page's layout and paint (15 ms idle, 50 with a cell busy, measured).
 */

/** A view of a session output that left the page. */
export interface IDeparture {
  sessionId: string;
  /** The cell that owns the session (the output's `cell`), if the output says. */
  cell: string | null;
  /** The live Bokeh view it showed, if any: the page lets go of it once it went. */
  viewId: string | null;
}

/** What the page found went, once a task's departures settled. */
export interface IGone {
  /** Cells whose outputs were cleared (`cells_cleared`). */
  cleared: string[];
  /** Sessions to tell the kernel about (`view_disposed`). */
  disposed: string[];
  /** Live views to let go of. */
  released: string[];
}

/** The departures of one task, and the cells whose going the page said meanwhile. */
export class Departures {
  /** A view left; decided by the next `settle()`. */
  left(departure: IDeparture): void {
    this.departures.push(departure);
  }

  /** The outputs of these cells were cleared: said with the settle. */
  cleared(cells: readonly string[]): void {
    cells.forEach(cell => this.clearedCells.add(cell));
  }

  /**
   * The cells cleared since the last call, for the caller to say now; the views
   * that leave with them, before or after, need no word (their cells count as said
   * until the settle).
   */
  takeCleared(): string[] {
    const cells = [...this.clearedCells];
    this.clearedCells.clear();
    this.said(cells);
    return cells;
  }

  /** The page told the kernel these cells went (deleted). */
  said(cells: readonly string[]): void {
    cells.forEach(cell => this.saidCells.add(cell));
  }

  /**
   * What went, of what left since the last settle: every view not `held` (the
   * notebook or the clipboard still holds an output of its session) is let go of,
   * and its session told about, unless its cell's going is said (cleared, deleted).
   */
  settle(held: (sessionId: string) => boolean): IGone {
    const gone: IGone = { cleared: [...this.clearedCells], disposed: [], released: [] };
    this.said(gone.cleared);
    for (const { sessionId, cell, viewId } of this.departures) {
      if (held(sessionId)) {
        continue;
      }
      if (viewId !== null) {
        gone.released.push(viewId);
      }
      const said = cell !== null && this.saidCells.has(cell);
      if (!said && !gone.disposed.includes(sessionId)) {
        gone.disposed.push(sessionId);
      }
    }
    this.departures = [];
    this.saidCells.clear();
    this.clearedCells.clear();
    return gone;
  }

  private departures: IDeparture[] = [];
  private readonly clearedCells = new Set<string>();
  private readonly saidCells = new Set<string>();
}
