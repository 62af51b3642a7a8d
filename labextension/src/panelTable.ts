/**
 * The side panel's table, updated in place: a `tbody` per cell, a row per session,
 * each found again by its key (cell id, session id) at the next update, so a row
 * that stays is the same element and keeps the keyboard focus.
 *
 * Keyboard: Tab reaches each row, then its Close button. Enter or Space on a row
 * shows its cell; on the button (a real `button`), they close the session. When the
 * focused row goes (its session closed), the focus moves to the row now in its place.
 */
import { ICellGroup, ISessionRow, Translate, diffKeys, headings } from './panelRows';

/** What the rows do when used. */
export interface ITableActions {
  /** Show cell `index` of the notebook (-1: it has none). */
  reveal(index: number): void;
  /** Close session `sessionId`. */
  close(sessionId: string): void;
}

const SR_ONLY = 'jp-jupyter-sessions-sr-only';

export class PanelTable {
  constructor(
    private readonly trans: Translate,
    private readonly actions: ITableActions
  ) {
    this.node = document.createElement('table');
    this.node.className = 'jp-jupyter-sessions-table';
    this.node.setAttribute('aria-label', trans.__('Sessions of this notebook'));
    const head = this.node.createTHead().insertRow();
    for (const text of headings(trans)) {
      head.append(headerCell(text));
    }
    const actionsHeading = headerCell(trans.__('actions'));
    actionsHeading.classList.add(SR_ONLY);
    head.append(actionsHeading);
  }

  readonly node: HTMLTableElement;

  /** Show `groups`, changing only what changed. */
  update(groups: readonly ICellGroup[]): void {
    const focused = this.focusedRowIndex();
    const { removed } = diffKeys(
      Array.from(this.groups.keys()),
      groups.map(g => g.key)
    );
    for (const key of removed) {
      const body = this.groups.get(key);
      Array.from(body?.rows ?? []).forEach(row => this.rows.delete(row.dataset.sessionId ?? ''));
      body?.remove();
      this.groups.delete(key);
    }
    const bodies = groups.map(group => this.groupBody(group));
    place(this.node, bodies, 1); // after the thead
    this.restoreFocus(focused);
  }

  private groupBody(group: ICellGroup): HTMLTableSectionElement {
    let body = this.groups.get(group.key);
    if (!body) {
      body = document.createElement('tbody');
      const heading = body.insertRow();
      heading.className = 'jp-jupyter-sessions-cell';
      const cell = document.createElement('th');
      cell.scope = 'rowgroup';
      cell.colSpan = headings(this.trans).length + 1;
      heading.append(cell);
      this.groups.set(group.key, body);
    }
    setText(body.rows[0].cells[0], group.heading);
    const before = Array.from(body.rows)
      .slice(1)
      .map(row => row.dataset.sessionId ?? '');
    const { removed } = diffKeys(
      before,
      group.rows.map(r => r.key)
    );
    for (const key of removed) {
      this.rows.get(key)?.element.remove();
      this.rows.delete(key);
    }
    place(
      body,
      group.rows.map(row => this.sessionRow(row)),
      1
    ); // after the heading
    return body;
  }

  private sessionRow(row: ISessionRow): HTMLTableRowElement {
    const known = this.rows.get(row.key);
    const element = known?.element ?? this.newRow(row.key);
    this.rows.set(row.key, { element, row });
    row.columns.forEach((text, i) => setText(i ? element.cells[i] : nameOf(element), text));
    setText(detailOf(element), row.detail);
    element.dataset.state = row.state;
    setAttribute(element, 'aria-label', row.label);
    setAttribute(element, 'title', row.error);
    const close = element.querySelector('button');
    if (close) {
      setAttribute(close, 'aria-label', row.closeLabel);
      setAttribute(close, 'title', row.closeLabel);
    }
    return element;
  }

  private newRow(key: string): HTMLTableRowElement {
    const element = document.createElement('tr');
    element.dataset.sessionId = key;
    element.tabIndex = 0;
    for (let i = 0; i < headings(this.trans).length + 1; i++) {
      element.insertCell();
    }
    const name = document.createElement('span');
    const detail = document.createElement('span');
    detail.className = 'jp-jupyter-sessions-detail';
    element.cells[0].append(name, detail);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'jp-jupyter-sessions-close jp-mod-styled';
    close.textContent = this.trans.__('Close');
    close.addEventListener('click', event => {
      event.stopPropagation();
      this.actions.close(key);
    });
    element.lastElementChild?.append(close);
    const reveal = (): void => this.actions.reveal(this.rows.get(key)?.row.cellIndex ?? -1);
    element.addEventListener('click', reveal);
    element.addEventListener('keydown', event => {
      if (event.target === element && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault(); // Space would scroll the panel
        reveal();
      }
    });
    return element;
  }

  /** Which session row (or its button) has the focus: its index among the rows. */
  private focusedRowIndex(): { element: HTMLElement; index: number } | null {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !this.node.contains(active)) {
      return null;
    }
    const row = active.closest('tr');
    return { element: active, index: this.sessionRows().indexOf(row as HTMLTableRowElement) };
  }

  /** Keep the focus where it was; if its row went, on the row now in its place. */
  private restoreFocus(focused: { element: HTMLElement; index: number } | null): void {
    if (!focused || document.activeElement === focused.element) {
      return;
    }
    if (focused.element.isConnected) {
      focused.element.focus();
      return;
    }
    const rows = this.sessionRows();
    const next = rows[Math.min(focused.index, rows.length - 1)];
    (next ?? this.node.parentElement)?.focus();
  }

  private sessionRows(): HTMLTableRowElement[] {
    return Array.from(this.node.querySelectorAll<HTMLTableRowElement>('tr[data-session-id]'));
  }

  /** The tbody of each cell, by cell id. */
  private readonly groups = new Map<string, HTMLTableSectionElement>();
  /** Each session's row and what it shows, by session id. */
  private readonly rows = new Map<string, { element: HTMLTableRowElement; row: ISessionRow }>();
}

/**
 * Put `children` in this order in `parent`, after its first `offset` children,
 * moving only those not in place already: a node moved loses the focus.
 */
function place(parent: HTMLElement, children: readonly HTMLElement[], offset: number): void {
  children.forEach((child, i) => {
    const at = parent.children[offset + i] ?? null;
    if (at !== child) {
      parent.insertBefore(child, at);
    }
  });
}

/** The session's name, and its detail under it, in the row's first cell. */
function nameOf(row: HTMLTableRowElement): HTMLElement {
  return row.cells[0].firstElementChild as HTMLElement;
}

function detailOf(row: HTMLTableRowElement): HTMLElement {
  return row.cells[0].lastElementChild as HTMLElement;
}

function headerCell(text: string): HTMLTableCellElement {
  const cell = document.createElement('th');
  cell.scope = 'col';
  cell.textContent = text;
  return cell;
}

function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

function setAttribute(element: HTMLElement, name: string, value: string): void {
  if (!value) {
    element.removeAttribute(name);
  } else if (element.getAttribute(name) !== value) {
    element.setAttribute(name, value);
  }
}
