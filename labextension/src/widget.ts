/**
 * The session widget's view (anywidget ESM, built into
 * `jupyter_sessions/static/session-widget.js` and shipped from the kernel): the
 * session's output in frontends without this extension (VS Code, Voilà, Colab,
 * JupyterLab without it). The kernel side is `jupyter_sessions/core/widget.py`.
 *
 * It shows the live view (a Bokeh view directly from the kernel's server when this
 * browser reaches it, else over pipes tunnelled through the widget's own comm),
 * or the kind's HTML, and a Close button. Its messages are those of `messages.ts`
 * (`IWidgetMessage`).
 *
 * Whether a removed view went for good is decided here, in the page, as the
 * extension decides for its outputs (`departures.ts`): a view removed (output
 * cleared, cell deleted) went unless a view of the same widget is shown again
 * in this page within the grace the kernel sets (a moved cell's output is
 * removed and rendered anew); then `view_disposed` tells the kernel, which
 * closes the session at once.
 */
import { isBokehView, releaseBokehView, renderBokehView } from './bokehView';
import { releaseHandlersOfKernel } from './commRelease';
import { EXTENSION_MARK, IWidgetMessage } from './messages';
import { pictureOf, watchPictures } from './pictures';
import { IWidgetModel, WidgetPipes } from './widgetPipes';

/** The part of an anywidget model the view reads. */
interface ISessionModel extends IWidgetModel {
  get(name: 'session_id' | 'label' | 'html'): string;
  get(name: 'removed_grace_ms'): number;
  get(name: 'view'): Record<string, unknown> | null;
  /** ipywidgets' manager; JupyterLab's and Voilà's have the kernel connection. */
  widget_manager?: { kernel?: unknown };
}

/**
 * How many views of each session this page shows now, by session id. Page-wide,
 * and must be: a moved cell's view is another view, rendered by another call
 * (with a model object of its own: anywidget gives each view one).
 */
const shown = new Map<string, number>();

function render({ model, el }: { model: ISessionModel; el: HTMLElement }): () => void {
  const sessionId = model.get('session_id');
  const view = document.createElement('div');
  const bar = document.createElement('div');
  bar.style.cssText = 'display:flex;gap:8px;align-items:center;margin-top:4px';
  const button = document.createElement('button');
  button.textContent = 'Close';
  button.title = 'Close this session and free what it holds';
  // The last picture goes with the word, for the note that replaces the view.
  button.onclick = () => {
    const picture = live ? pictureOf(live.view_id) : null;
    say(model, { type: 'close', session_id: sessionId, picture });
  };
  const label = document.createElement('small');
  label.textContent = model.get('label');
  bar.append(button, label);
  el.replaceChildren(view, bar);
  shown.set(sessionId, (shown.get(sessionId) ?? 0) + 1);
  say(model, { type: 'view_shown', session_id: sessionId });
  // Else the page keeps every closed widget's model through its comm (commRelease.ts).
  releaseHandlersOfKernel(model.widget_manager?.kernel);

  const pipes = new WidgetPipes(model);
  const data = model.get('view');
  const live = isBokehView(data) ? data : null;
  let stopPictures = (): void => undefined;
  let removed = false;
  if (live) {
    renderBokehView(view, live, { proxy: null, pipes: pipes.open })
      .then(() => {
        if (removed) {
          // The view went while it loaded: its cleanup found nothing to let go of.
          releaseBokehView(live.view_id, view);
          return;
        }
        stopPictures = watchPictures(live.view_id, picture =>
          say(model, { type: 'picture', session_id: sessionId, picture })
        );
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
    const left = (shown.get(sessionId) ?? 1) - 1;
    if (left > 0) {
      shown.set(sessionId, left);
    } else {
      shown.delete(sessionId);
    }
    // Where the extension runs, it says when an output goes; a widget view there is
    // a second one (an output opened in a panel of its own), and closing it is not
    // closing the output.
    if (window[EXTENSION_MARK as keyof Window]) {
      return;
    }
    window.setTimeout(
      () => {
        if (!shown.has(sessionId)) {
          say(model, { type: 'view_disposed', session_id: sessionId });
        }
      },
      model.get('removed_grace_ms') ?? 1000
    );
  };
}

/** Tell the kernel (`core/widget.py`), unless the widget closed meanwhile. */
function say(model: ISessionModel, message: IWidgetMessage): void {
  try {
    model.send(message);
  } catch {
    // The widget closed first: its session is gone already, its note out.
  }
}

export default { render };
