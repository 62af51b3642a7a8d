import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { NotebookSessionsExtension } from './notebookSessions';

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
  }
};

export default [notebookSessions];
