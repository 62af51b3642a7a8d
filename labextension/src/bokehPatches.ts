/**
 * A workaround for a BokehJS 3 leak that would keep every plot ever shown in the page.
 *
 * `PlotView.connect_signals()` adds a `resize` listener to `window.visualViewport`
 * and `PlotView.remove()` never takes it away: the listener's closure holds the
 * view, its canvas, its document and every model in it, for the page's lifetime
 * (about 0.45 MB for a small live plot; found with a heap snapshot). Here, once per
 * page, the listeners a plot view adds to the visual viewport while it connects its
 * signals are remembered on the view and removed when the view is removed.
 * `connect_signals` is synchronous, so only that view's listeners are caught.
 *
 * BokehJS internals relied on, measured by tests/test_page_memory.py against the
 * installed Bokeh: the module `models/plots/plot_canvas` exporting `PlotView`, whose
 * prototype has `connect_signals()` and `remove()`.
 */

type Listener = [string, EventListenerOrEventListenerObject, unknown];

interface IPlotView {
  connect_signals(): void;
  remove(): void;
  [VIEWPORT_LISTENERS]?: Listener[];
}

const VIEWPORT_LISTENERS = Symbol('jupyter-sessions viewport listeners');
const patched = new WeakSet<object>();

/** Patch BokehJS's `PlotView` (once; a no-op where BokehJS has no such view). */
export function patchPlotViewListeners(bokeh: { require(module: string): unknown }): void {
  const viewport = window.visualViewport;
  let prototype: IPlotView | undefined;
  try {
    const module = bokeh.require('models/plots/plot_canvas') as {
      PlotView?: { prototype: IPlotView };
    };
    prototype = module.PlotView?.prototype;
  } catch {
    return; // another BokehJS layout: nothing to patch
  }
  if (!viewport || !prototype || patched.has(prototype)) {
    return;
  }
  patched.add(prototype);
  const connect = prototype.connect_signals;
  const remove = prototype.remove;
  prototype.connect_signals = function (this: IPlotView): void {
    const added: Listener[] = [];
    const add = viewport.addEventListener;
    viewport.addEventListener = function (
      this: VisualViewport,
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: unknown
    ): void {
      added.push([type, listener, options]);
      add.call(this, type, listener, options as AddEventListenerOptions);
    };
    try {
      connect.call(this);
    } finally {
      // The viewport's own method again (the one it inherits).
      delete (viewport as unknown as { addEventListener?: unknown }).addEventListener;
      this[VIEWPORT_LISTENERS] = added;
    }
  };
  prototype.remove = function (this: IPlotView): void {
    for (const [type, listener, options] of this[VIEWPORT_LISTENERS] ?? []) {
      viewport.removeEventListener(type, listener, options as EventListenerOptions);
    }
    delete this[VIEWPORT_LISTENERS];
    remove.call(this);
  };
}
