/**
 * The status bar item: how many sessions the current notebook's cells hold and the
 * memory they use, where their rows say (processes, with their trees). A click, or
 * Enter, opens the Sessions panel. Hidden when there are none, or when the
 * `statusBar` setting is off.
 */
import type { IStatusBar } from '@jupyterlab/statusbar';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CurrentSessions } from './currentSessions';
import { formatMegabytes, totalMemory } from './panelRows';
import { SessionsSettings } from './settings';

export const STATUS_ITEM_ID = 'jupyter-sessions:status';

export class SessionsStatus extends Widget {
  constructor(
    private readonly current: CurrentSessions,
    private readonly settings: SessionsSettings,
    private readonly trans: TranslationBundle,
    openPanel: () => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-jupyter-sessions-status');
    (this.node as HTMLButtonElement).type = 'button';
    this.node.addEventListener('click', openPanel);
    current.changed.connect(this.refresh, this);
    settings.changed.connect(this.refresh, this);
    this.refresh();
  }

  /** Is the item to be shown now? */
  get active(): boolean {
    return this._active;
  }

  /** Emitted when `active` changes (the status bar asks `isActive` then). */
  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.current.changed.disconnect(this.refresh, this);
    this.settings.changed.disconnect(this.refresh, this);
    Signal.clearData(this);
    super.dispose();
  }

  /** Show the current notebook's count and memory; hide when there is nothing. */
  refresh(): void {
    const sessions = this.current.panel ? this.current.sessions : [];
    const count = sessions.length;
    const memory = totalMemory(sessions);
    const trans = this.trans;
    const what = trans._n('%1 session', '%1 sessions', count);
    const text = memory === null ? what : `${what} · ${formatMegabytes(memory)}`;
    if (this.node.textContent !== text) {
      this.node.textContent = text;
      const label = trans.__('%1 in this notebook; show the Sessions panel', text);
      this.node.title = label;
      this.node.setAttribute('aria-label', label);
    }
    const active = count > 0 && this.settings.current.statusBar;
    if (active !== this._active) {
      this._active = active;
      this._activeChanged.emit();
    }
  }

  private _active = false;
  private _activeChanged = new Signal<this, void>(this);
}

/** Put the item in the status bar, on the left with JupyterLab's kernel items. */
export function addStatusItem(
  statusBar: IStatusBar,
  current: CurrentSessions,
  settings: SessionsSettings,
  trans: TranslationBundle,
  openPanel: () => void
): SessionsStatus {
  const item = new SessionsStatus(current, settings, trans, openPanel);
  statusBar.registerStatusItem(STATUS_ITEM_ID, {
    item,
    align: 'left',
    rank: 5,
    isActive: () => item.active,
    activeStateChanged: item.activeChanged
  });
  return item;
}
