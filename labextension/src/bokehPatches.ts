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
 * Upstream: bokeh/bokeh#15290, fixed by bokeh/bokeh#15298 (merged 2026-07-31),
 * which no release had yet when this was written (3.9.2 is the latest and still
 * leaks). So the patch applies to BokehJS 3.9 and older only; a later BokehJS is
 * taken to carry the fix (were it not, the patch would still be harmless there:
 * removing a listener twice does nothing). tests/test_page_memory.py would show it.
 *
 * BokehJS internals relied on, measured by tests/test_page_memory.py against the
 * installed Bokeh: the module `models/plots/plot_canvas` exporting `PlotView`, whose
 * prototype has `connect_signals()` and `remove()`; `Bokeh.version`.
 */

type Listener = [string, EventListenerOrEventListenerObject, unknown];

interface IPlotView {
  connect_signals(): void;
  remove(): void;
  [VIEWPORT_LISTENERS]?: Listener[];
}

const VIEWPORT_LISTENERS = Symbol('jupyter-sessions viewport listeners');
const patched = new WeakSet<object>();

/** The newest BokehJS [major, minor] that leaks (see the header). */
const LAST_LEAKING: [number, number] = [3, 9];

/** Does this BokehJS lack the upstream fix? An unreadable version counts as yes. */
function leaks(version: string | undefined): boolean {
  const [major, minor] = (version ?? '').split('.').map(Number);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) {
    return true;
  }
  return major < LAST_LEAKING[0] || (major === LAST_LEAKING[0] && minor <= LAST_LEAKING[1]);
}

/**
 * Patch BokehJS's `PlotView` (once; a no-op where BokehJS has no such view, or
 * has the fix).
 */
export function patchPlotViewListeners(bokeh: {
  require(module: string): unknown;
  version?: string;
}): void {
  if (!leaks(bokeh.version)) {
    return;
  }
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
