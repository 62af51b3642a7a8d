/**
 * Which cells were deleted, from the notebook's stream of removes and inserts.
 *
 * JupyterLab reports a moved cell as remove + insert with the same id, a revert
 * or reload as removing and re-adding every cell, and a `cells.changed` remove
 * does not say which cell went. So we keep the set of ids we know, collect the
 * removed ones, and only call a cell deleted if it has not come back by the time
 * the changes settle (`settle()`, called after the current task).
 */
export class DeletionTracker {
  private known = new Set<string>();
  private pending = new Set<string>();

  /** Forget everything and start from `ids` (a notebook just loaded). */
  reset(ids: Iterable<string>): void {
    this.known = new Set(ids);
    this.pending.clear();
  }

  /** The notebook now holds exactly `ids`: note what went and what came back. */
  update(ids: Iterable<string>): void {
    const now = new Set(ids);
    for (const id of this.known) {
      if (!now.has(id)) {
        this.pending.add(id);
      }
    }
    for (const id of now) {
      this.pending.delete(id);
    }
    this.known = now;
  }

  /**
   * Ids removed and not back since, minus those `keep` spares (e.g. cut cells
   * held in the clipboard); they are forgotten once returned.
   */
  settle(keep: (id: string) => boolean = () => false): string[] {
    const deleted = [...this.pending].filter(id => !keep(id));
    this.pending.clear();
    return deleted;
  }
}
