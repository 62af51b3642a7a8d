import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

import { EXTENSION_MARK } from './messages';
import { NotebookSessionsExtension } from './notebookSessions';
import { SessionsPanel } from './sessionsPanel';

/**
 * Session outputs in notebooks: renders them, and tells the kernel at once
 * when one goes away (cleared, re-run, deleted, notebook closed).
 */
const notebookSessions: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-sessions:notebook',
  description: 'Tells the kernel at once when a session output goes away.',
  autoStart: true,
  activate: (app: JupyterFrontEnd): void => {
    app.docRegistry.addWidgetExtension('Notebook', new NotebookSessionsExtension());
    (window as unknown as Record<string, boolean>)[EXTENSION_MARK] = true;
  }
};

/** A side panel listing the sessions of the current notebook's kernel. */
const sessionsPanel: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-sessions:panel',
  description: 'Lists, finds and closes the sessions of the current notebook.',
  autoStart: true,
  // Optional: Voilà renders notebooks without a notebook tracker, and a plugin
  // that requires one fails to activate there.
  optional: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker | null): void => {
    if (!tracker) {
      return;
    }
    const panel = new SessionsPanel(tracker);
    panel.title.label = 'Sessions';
    app.shell.add(panel, 'right', { rank: 900 });
  }
};

export default [notebookSessions, sessionsPanel];
