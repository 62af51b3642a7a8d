/**
 * The session widget's view (anywidget ESM, built into
 * `jupyter_sessions/static/session-widget.js` and shipped from the kernel): the
 * session's output in frontends without this extension (VS Code, Voilà, Colab,
 * JupyterLab without it). The kernel side is `jupyter_sessions/core/widget.py`.
 *
 * It shows the live view (a Bokeh view directly from the kernel's server when this
 * browser reaches it, else over pipes tunnelled through the widget's own comm),
 * or the kind's HTML, and a Close button. Removing the view (output cleared, cell
 * deleted) tells the kernel, which closes the session unless the view comes back
 * at once (a moved cell).
 */
import {
  IBokehView,
  isBokehView,
  pictureOf,
  releaseBokehView,
  renderBokehView,
  watchPictures
} from './bokehView';
import { releaseHandlersOfKernel } from './commRelease';
import { EXTENSION_MARK } from './messages';
import { IWidgetModel, WidgetPipes } from './widgetPipes';

/** The part of an anywidget model the view reads. */
interface ISessionModel extends IWidgetModel {
  get(name: 'session_id' | 'label' | 'html'): string;
  get(name: 'view'): Record<string, unknown> | null;
  /** ipywidgets' manager; JupyterLab's and Voilà's have the kernel connection. */
  widget_manager?: { kernel?: unknown };
}

function render({ model, el }: { model: ISessionModel; el: HTMLElement }): () => void {
  const view = document.createElement('div');
  const bar = document.createElement('div');
  bar.style.cssText = 'display:flex;gap:8px;align-items:center;margin-top:4px';
  const button = document.createElement('button');
  button.textContent = 'Close';
  button.title = 'Close this session and free what it holds';
  // The last picture goes with the word, for the note that replaces the view.
  button.onclick = () => model.send({ type: 'close', picture: live && pictureOf(live.view_id) });
  const label = document.createElement('small');
  label.textContent = model.get('label');
  bar.append(button, label);
  el.replaceChildren(view, bar);
  model.send({ type: 'view_shown' });
  // Else the page keeps every closed widget's model through its comm (commRelease.ts).
  releaseHandlersOfKernel(model.widget_manager?.kernel);

  const pipes = new WidgetPipes(model);
  const data = model.get('view');
  let live: IBokehView | null = null;
  let stopPictures = (): void => undefined;
  let removed = false;
  if (isBokehView(data)) {
    live = data;
    renderBokehView(view, data, { proxy: null, pipes: pipes.open })
      .then(() => {
        if (removed) {
          // The view went while it loaded: its cleanup found nothing to let go of.
          releaseBokehView(data.view_id, view);
          return;
        }
        stopPictures = watchPictures(data.view_id, picture => sendPicture(model, picture));
      })
      .catch((reason: unknown) => {
        const why = reason instanceof Error ? reason.message : String(reason);
        view.textContent = `The live view could not load: ${why}.`;
      });
  } else {
    view.innerHTML = model.get('html');
  }
  return () => {
    removed = true;
    stopPictures();
    if (live) {
      releaseBokehView(live.view_id, view);
    }
    pipes.dispose();
    // Where the extension runs, it says when an output goes; a widget view there is
    // a second one (an output opened in a panel of its own), and closing it is not
    // closing the output.
    if (window[EXTENSION_MARK as keyof Window]) {
      return;
    }
    try {
      model.send({ type: 'view_removed' });
    } catch {
      // The widget closed first: its session is gone already.
    }
  };
}

/** The kernel keeps the view's last picture for the output's note (`core/widget.py`). */
function sendPicture(model: ISessionModel, picture: string): void {
  try {
    model.send({ type: 'picture', picture });
  } catch {
    // The widget closed meanwhile: its note is out already.
  }
}

export default { render };
