/**
 * The extension's commands, in the command palette under "Sessions": close every
 * session of the current notebook's kernel, close the active cell's, show the
 * sessions panel. Each says what the kernel should close over the notebook's
 * channel, with the same `close` message as a Close button, so the kernel side has
 * nothing new to learn.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { sessionIdOf } from './messages';
import { NotebookSessions } from './notebookSessions';

/** The command ids, stable: users bind keys to them. */
export const CommandIds = {
  closeAll: 'jupyter-sessions:close-all',
  closeCell: 'jupyter-sessions:close-cell',
  showPanel: 'jupyter-sessions:show-panel'
} as const;

/** Add the commands, and to the palette if there is one. */
export function addCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  panelId: string,
  trans: TranslationBundle,
  palette: ICommandPalette | null
): void {
  const link = (): NotebookSessions | undefined =>
    tracker.currentWidget ? NotebookSessions.of(tracker.currentWidget) : undefined;
  app.commands.addCommand(CommandIds.closeAll, {
    label: trans.__('Close All Sessions of This Notebook'),
    caption: trans.__("Close every session of the notebook's kernel, in every cell"),
    isEnabled: () => (link()?.channel.sessions.length ?? 0) > 0,
    execute: () => {
      // The kernel's list, and what the outputs show: the list may lag a session
      // opened a moment ago.
      const sessions = link();
      const cells = Array.from(tracker.currentWidget?.content.model?.cells ?? []);
      const ids = new Set(cells.flatMap(cell => outputSessions(cell.toJSON())));
      sessions?.channel.sessions.forEach(s => ids.add(s.id));
      ids.forEach(id => sessions?.closeSession(id));
    }
  });
  app.commands.addCommand(CommandIds.closeCell, {
    label: trans.__("Close the Active Cell's Sessions"),
    caption: trans.__('Close the sessions the active cell owns or shows'),
    isEnabled: () => activeCellSessions(tracker).length > 0,
    execute: () => {
      const sessions = link();
      activeCellSessions(tracker).forEach(id => sessions?.closeSession(id));
    }
  });
  app.commands.addCommand(CommandIds.showPanel, {
    label: trans.__('Show the Sessions Panel'),
    execute: () => app.shell.activateById(panelId)
  });
  const category = trans.__('Sessions');
  for (const command of Object.values(CommandIds)) {
    palette?.addItem({ command, category });
  }
}

/** The sessions the active cell owns (the kernel's list) or shows (its outputs). */
function activeCellSessions(tracker: INotebookTracker): string[] {
  const panel = tracker.currentWidget;
  const cell = tracker.activeCell;
  if (!panel || !cell) {
    return [];
  }
  const ids = new Set<string>();
  const owned = NotebookSessions.of(panel)?.channel.sessions ?? [];
  owned.filter(s => s.cell === cell.model.id).forEach(s => ids.add(s.id));
  outputSessions(cell.model.toJSON()).forEach(id => ids.add(id));
  return Array.from(ids);
}

/** The sessions whose outputs a cell (nbformat JSON) shows. */
function outputSessions(cell: unknown): string[] {
  const outputs = (cell as { outputs?: { data?: unknown }[] }).outputs ?? [];
  return outputs.map(output => sessionIdOf(output.data)).filter((id): id is string => !!id);
}
