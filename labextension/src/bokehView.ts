/**
 * A live Bokeh view in the page, from the embedded server of the kernel.
 *
 * The server's autoload script is loaded into an element whose id is unique to
 * this render: a moved cell is rendered again while its old DOM still exists,
 * and BokehJS finds its element by id. BokehJS itself comes from the embedded
 * server, so this works with no internet access.
 */

/** The view data of a Bokeh session output (`BokehSession._view` in the kernel). */
export interface IBokehView {
  url: string;
  view_id: string;
}

export function isBokehView(view: unknown): view is IBokehView {
  const v = view as Partial<IBokehView> | null;
  return typeof v?.url === 'string' && typeof v?.view_id === 'string';
}

let renders = 0;

/** Load the view into `host` (it runs once `host` is in the document). */
export function renderBokehView(host: HTMLElement, view: IBokehView): void {
  const elementId = `jp-jupyter-sessions-bokeh-${++renders}-${Date.now()}`;
  const query = new URLSearchParams({
    'bokeh-autoload-element': elementId,
    'bokeh-app-path': new URL(view.url).pathname,
    'bokeh-absolute-url': view.url,
    'bokeh-session-id': view.view_id
  });
  const script = document.createElement('script');
  script.src = `${view.url}/autoload.js?${query}`;
  script.id = elementId;
  host.replaceChildren(script);
}
