import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { addCommands } from './commands';
import { CurrentSessions } from './currentSessions';
import { EXTENSION_MARK } from './messages';
import { NotebookSessionsExtension } from './notebookSessions';
import { SessionsPanel } from './sessionsPanel';
import { pictureOptions } from './pictures';
import { settings } from './settings';
import { addStatusItem } from './statusItem';

/** The translation domain of the extension's strings. */
const DOMAIN = 'jupyter_sessions';

/** Three stacked cells, the front one live: the side panel's icon. */
const sessionsIcon = new LabIcon({
  name: 'jupyter-sessions:sessions',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M6 3h13a2 2 0 0 1 2 2v11h-2V5H6z"/>' +
    '<path d="M3 8a2 2 0 0 1 2-2h11a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2zm2 0v11h11V8z"/>' +
    '<circle cx="10.5" cy="13.5" r="2.5"/></g></svg>'
});

/**
 * Session outputs in notebooks: renders them, and tells the kernel at once
 * when one goes away (cleared, re-run, deleted, notebook closed). Its settings
 * (labextension/schema/notebook.json) are the extension's: `settings.ts`.
 */
const notebookSessions: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-sessions:notebook',
  description: 'Tells the kernel at once when a session output goes away.',
  autoStart: true,
  // Optional: without a registry (Voilà) the defaults hold.
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, registry: ISettingRegistry | null): void => {
    app.docRegistry.addWidgetExtension('Notebook', new NotebookSessionsExtension());
    (window as unknown as Record<string, boolean>)[EXTENSION_MARK] = true;
    settings.changed.connect((_, now) => {
      pictureOptions.keep = now.pictures;
      pictureOptions.maxSide = now.pictureMaxSide;
      pictureOptions.maxBytes = now.pictureMaxKB * 1000;
    });
    void settings.load(registry, notebookSessions.id);
  }
};

/**
 * A side panel listing the sessions of the current notebook's kernel (restored on
 * reload), a status bar item counting them, and the commands that close them, in
 * the palette.
 */
const sessionsPanel: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-sessions:panel',
  description: 'Lists, finds and closes the sessions of the current notebook.',
  autoStart: true,
  // Optional: Voilà renders notebooks without a notebook tracker, and a plugin
  // that requires one fails to activate there.
  optional: [INotebookTracker, ILayoutRestorer, ICommandPalette, ITranslator, IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    statusBar: IStatusBar | null
  ): void => {
    if (!tracker) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(DOMAIN);
    const current = new CurrentSessions(tracker);
    const panel = new SessionsPanel(current, trans);
    panel.title.icon = sessionsIcon;
    panel.title.label = trans.__('Sessions');
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);
    addCommands(app, tracker, panel.id, trans, palette);
    if (statusBar) {
      addStatusItem(statusBar, current, settings, trans, () => app.shell.activateById(panel.id));
    }
  }
};

export default [notebookSessions, sessionsPanel];
