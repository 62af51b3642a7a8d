/**
 * A live Bokeh view in the page, from the embedded server of the kernel.
 *
 * Directly from the kernel's 127.0.0.1 when this browser can reach it (a local
 * Jupyter); otherwise through jupyter-server-proxy, `{base_url}proxy/127.0.0.1:
 * {port}/`, under the Jupyter server's own authentication (a hub, a remote
 * server, a tunnel). Which one is found once per server, by loading its icon.
 *
 * Through the proxy, BokehJS is loaded from the proxied server first (the
 * autoload script would name unproxied URLs for it), and the app path given to
 * BokehJS is the whole proxied path: BokehJS builds the websocket URL from the
 * host of the absolute URL and the app path, dropping the absolute URL's path.
 *
 * The autoload script goes into an element whose id is unique to this render,
 * as BokehJS finds its element by id. BokehJS itself comes from the embedded
 * server, so this works with no internet access.
 *
 * A moved cell (JupyterLab removes the cell and renders a new one) or a cut and
 * pasted one renders the same view again, but BokehJS embeds a view's document
 * once per page: a second embed fails and leaves the plot blank. So the new
 * output takes over the live DOM its departed predecessor left behind, BokehJS's
 * views and websocket included, until the owner says the view went for good.
 */
import { ServerConnection } from '@jupyterlab/services';

/** The view data of a Bokeh session output (`BokehSession._view` in the kernel). */
export interface IBokehView {
  url: string;
  view_id: string;
  static?: string[];
}

export function isBokehView(view: unknown): view is IBokehView {
  const v = view as Partial<IBokehView> | null;
  return typeof v?.url === 'string' && typeof v?.view_id === 'string';
}

const PROBE_TIMEOUT_MS = 1500;
const reachable = new Map<string, Promise<boolean>>();
let bokehLoading: Promise<void> | null = null;
let renders = 0;

/** The element each view was last rendered into, until released. */
const hosts = new Map<string, HTMLElement>();

/** Load the view into `host` (its script runs once `host` is in the document). */
export async function renderBokehView(host: HTMLElement, view: IBokehView): Promise<void> {
  if (hosts.get(view.view_id)?.isConnected) {
    // A cell moved up is rendered anew before its old DOM leaves the page,
    // within this task.
    await new Promise(resolve => window.setTimeout(resolve, 0));
  }
  if (adoptBokehView(host, view.view_id)) {
    return;
  }
  await embedBokehView(host, view);
  hosts.set(view.view_id, host);
}

/**
 * The view left the page for good (its output cleared, its cell deleted): forget
 * the DOM kept for a moved cell to take over. A no-op once another host took it.
 */
export function releaseBokehView(viewId: string, host: HTMLElement): void {
  if (hosts.get(viewId) === host) {
    hosts.delete(viewId);
  }
}

/** Move the view's live DOM into `host`, if a departed output left it; false if none. */
function adoptBokehView(host: HTMLElement, viewId: string): boolean {
  const previous = hosts.get(viewId);
  // One still in the page (a second view of the notebook) is left alone: taking
  // it would blank that one, and BokehJS cannot show the view twice.
  if (!previous || previous === host || previous.isConnected || !previous.hasChildNodes()) {
    return false;
  }
  host.replaceChildren(...Array.from(previous.childNodes));
  hosts.set(viewId, host);
  return true;
}

async function embedBokehView(host: HTMLElement, view: IBokehView): Promise<void> {
  const app = new URL(view.url);
  let absolute = view.url;
  let resources = 'default';
  if (!(await canReach(app.origin))) {
    const root = `${ServerConnection.makeSettings().baseUrl}proxy/${app.host}`;
    absolute = root + app.pathname;
    resources = 'none';
    // Once per page, however many outputs render at the same time.
    bokehLoading ??= loadScripts((view.static ?? []).map(path => root + path)).catch(
      (reason: unknown) => {
        bokehLoading = null; // let a later render try again
        throw reason;
      }
    );
    await bokehLoading;
  }
  const elementId = `jp-jupyter-sessions-bokeh-${++renders}-${Date.now()}`;
  const query = new URLSearchParams({
    'bokeh-autoload-element': elementId,
    'bokeh-app-path': new URL(absolute).pathname,
    'bokeh-absolute-url': absolute,
    'bokeh-session-id': view.view_id,
    resources
  });
  const script = document.createElement('script');
  script.src = `${absolute}/autoload.js?${query}`;
  script.id = elementId;
  host.replaceChildren(script);
}

/** Can this browser load from `origin` directly? Asked once per server. */
function canReach(origin: string): Promise<boolean> {
  let answer = reachable.get(origin);
  if (!answer) {
    answer = new Promise<boolean>(resolve => {
      const image = new Image();
      const timer = window.setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
      image.onload = () => {
        window.clearTimeout(timer);
        resolve(true);
      };
      image.onerror = () => {
        window.clearTimeout(timer);
        resolve(false);
      };
      image.src = `${origin}/favicon.ico`;
    });
    reachable.set(origin, answer);
  }
  return answer;
}

/** Load BokehJS's scripts in order, unless the page has BokehJS already. */
async function loadScripts(urls: string[]): Promise<void> {
  if ((window as unknown as { Bokeh?: unknown }).Bokeh) {
    return;
  }
  for (const url of urls) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.append(script);
    });
  }
}
