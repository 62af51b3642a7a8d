/**
 * A live Bokeh view in the page, from the embedded server of the kernel.
 *
 * The view's server session lives in the kernel; what reaches the page is one
 * of three transports, chosen per server, automatically:
 * - direct, from the kernel's 127.0.0.1, when this browser can reach it (a
 *   local Jupyter);
 * - through jupyter-server-proxy, `{base_url}proxy/127.0.0.1:{port}/`, under the
 *   Jupyter server's own authentication (a hub, a remote server, a tunnel);
 * - over the kernel's own channel, a comm (`bokehComm.ts`), when neither works:
 *   the kernel runs where neither the browser nor the Jupyter server can reach
 *   it (a Kernel Gateway, a remote kernel provisioner).
 * Which one is found once per server, by asking for BokehJS both ways at once.
 * When none works, the output says so in words.
 *
 * BokehJS is loaded once per page, from the server the view comes from, or from
 * the kernel over a comm, never from a CDN. Its extensions' files (Panel's) are
 * loaded the same way when the first view that needs them arrives, so a Panel
 * view renders in a page that loaded plain BokehJS before Panel was imported;
 * every file runs once per page, in the order the kernel lists. The view is
 * embedded with BokehJS's own session API (`pull_session` and
 * `add_document_standalone`), not its autoload script. The autoload script would
 * load BokehJS again for every view (each run keeps megabytes of code alive), and
 * it keeps every session it pulled in a cache private to BokehJS, documents and
 * messages included, for the page's lifetime. Here the page holds each view's session itself, and lets go
 * of it when the view goes (tests/test_page_memory.py measures the page's heap).
 * The view is built once its element is in the page (BokehJS lays it out there).
 *
 * A moved cell (JupyterLab removes the cell and renders a new one) or a cut and
 * pasted one renders the same view again, but BokehJS embeds a view's document
 * once per page: a second embed fails and leaves the plot blank. So the new
 * output takes over the live DOM its departed predecessor left behind, BokehJS's
 * views and connection included, until the owner says the view went for good.
 *
 * BokehJS internals relied on, pinned by the browser tests against the installed
 * Bokeh: `Bokeh.require('client/connection').pull_session(url, token)` giving a
 * session with `document` and `close()`, `Bokeh.embed.add_document_standalone`
 * giving the views' manager (`clear()`), and `Bokeh.documents`, where every
 * document registers itself; a document's `_cancel_recompute_all_models()`, used
 * when present; `bokehComm.ts` lists what the comm transport uses.
 */
import { bokehScriptsOverPipe, pullSessionOverPipe } from './bokehComm';
import { patchPlotViewListeners } from './bokehPatches';
import { PipeOpener } from './pipe';

/** The view data of a Bokeh session output (`BokehSession._view` in the kernel). */
export interface IBokehView {
  url: string;
  view_id: string;
  /** The signed websocket token of the view (the kernel signs it, like the id). */
  token: string;
  static?: string[];
}

export function isBokehView(view: unknown): view is IBokehView {
  const v = view as Partial<IBokehView> | null;
  return (
    typeof v?.url === 'string' && typeof v?.view_id === 'string' && typeof v?.token === 'string'
  );
}

const PROBE_TIMEOUT_MS = 1500;
const reachable = new Map<string, Promise<boolean>>();
/** The BokehJS files this page ran, by name (`bokeh.min.js`, `panel.min.js`). */
const ran = new Set<string>();
/** Every load waits for the one before: files run in order, once each. */
let loading: Promise<void> = Promise.resolve();

/** What this file uses of BokehJS (see the header). */
interface IBokehDocument {
  _cancel_recompute_all_models?: () => void;
  on_change(callback: () => void, allow_batches: true): void;
  remove_on_change(callback: () => void): void;
}
interface IBokehSession {
  readonly document: IBokehDocument;
  close(): void;
}
interface IBokehViews {
  clear(): void;
  /** The document's root views (BokehJS 3.x's `ViewManager.roots`). */
  readonly roots?: IExportable[];
}
/** A root view BokehJS can draw into one canvas: a plot, or a layout of plots. */
interface IExportable {
  export?(type: 'png', hidpi: boolean): { readonly canvas: HTMLCanvasElement };
}
interface IBokeh {
  readonly version?: string;
  require(module: 'client/connection'): {
    pull_session(url: string, token: string, args: string): Promise<IBokehSession>;
    ClientConnection: Parameters<typeof pullSessionOverPipe<IBokehSession>>[0];
  };
  require(module: string): unknown;
  embed: {
    add_document_standalone(doc: IBokehDocument, element: HTMLElement): Promise<IBokehViews>;
  };
  documents: IBokehDocument[];
}

/** The live BokehJS session and views of each embedded view, until it goes. */
const embedded = new Map<string, { session: IBokehSession; views: IBokehViews }>();
const ATTACH_TIMEOUT_MS = 30000;

/** The element each view was last rendered into, until released. */
const hosts = new Map<string, HTMLElement>();

/** The ways this page may reach a kernel's views, besides loading them directly. */
export interface IReach {
  /** The Jupyter server's proxy root for a loopback `host:port`; null if none. */
  proxy: ((host: string) => string) | null;
  /** Pipes to the kernel's comm targets; null if the page has no kernel connection. */
  pipes: PipeOpener | null;
}

/** How a view reaches this page: from a server root (direct or proxied), or pipes. */
type Route = { root: string } | { pipes: PipeOpener };

/** Load the view into `host` (built once `host` is in the document). */
export async function renderBokehView(
  host: HTMLElement,
  view: IBokehView,
  reach: IReach
): Promise<void> {
  if (hosts.get(view.view_id)?.isConnected) {
    // A cell moved up is rendered anew before its old DOM leaves the page,
    // within this task.
    await new Promise(resolve => window.setTimeout(resolve, 0));
  }
  if (adoptBokehView(host, view.view_id)) {
    return;
  }
  await embedBokehView(host, view, reach);
  hosts.set(view.view_id, host);
}

/**
 * The view left the page for good (its output cleared, its cell deleted): forget
 * the DOM kept for a moved cell to take over. A no-op once another host took it.
 */
export function releaseBokehView(viewId: string, host: HTMLElement): void {
  if (hosts.get(viewId) !== host) {
    return;
  }
  hosts.delete(viewId);
  const live = embedded.get(viewId);
  embedded.delete(viewId);
  host.replaceChildren();
  if (!live) {
    return;
  }
  try {
    live.views.clear(); // out of BokehJS's page-wide index of views
    live.session.close(); // the websocket, if the server has not closed it yet
  } catch (reason) {
    console.warn('[jupyter-sessions] could not let go of a departed Bokeh view', reason);
  }
  const doc = live.session.document;
  const documents = bokehJS()?.documents ?? [];
  const index = documents.indexOf(doc);
  if (index >= 0) {
    documents.splice(index, 1);
  }
  // A document's last change arms a 30 s timer (it recomputes the document's
  // models), which keeps the departed document, all of it, until it fires.
  doc._cancel_recompute_all_models?.();
}

/** The longest side of a kept picture (CSS pixels) and the most one may weigh. */
const PICTURE_MAX_PX = 800;
const PICTURE_MAX_BYTES = 300_000;

/**
 * A picture of the view as this page shows it now, for the notebook as a document
 * (a saved file, nbconvert, GitHub): what BokehJS draws of its first root, plots
 * in their layout, as a base64 PNG of at most `PICTURE_MAX_PX` a side and
 * `PICTURE_MAX_BYTES`. Null when the view is not live in this page or draws
 * nothing (widgets alone are HTML, which BokehJS does not draw). Synchronous: a
 * save takes the notebook's content right after it says it started.
 */
export function pictureOf(viewId: string): string | null {
  const root = embedded.get(viewId)?.views.roots?.[0];
  if (!root?.export) {
    return null;
  }
  try {
    return encodePicture(root.export('png', false).canvas);
  } catch (reason) {
    console.warn('[jupyter-sessions] could not draw a picture of a Bokeh view', reason);
    return null;
  }
}

/** A view's first picture waits for BokehJS to paint it; later ones, at most this often. */
const FIRST_PICTURE_MS = 500;
const PICTURE_EVERY_MS = 5000;

/**
 * Hand `keep` a picture of the view once it painted, then after each change of its
 * document, at most every `PICTURE_EVERY_MS`: for the session widget, whose page
 * holds no notebook model to keep it in, so the kernel keeps the last one for the
 * output's note. Nothing runs while the document does not change. Returns what
 * stops it.
 */
export function watchPictures(viewId: string, keep: (picture: string) => void): () => void {
  const doc = embedded.get(viewId)?.session.document;
  if (!doc) {
    return () => undefined;
  }
  let timer: number | null = null;
  let last = 0;
  const take = (): void => {
    timer = null;
    last = Date.now();
    const picture = pictureOf(viewId);
    if (picture) {
      keep(picture);
    }
  };
  const changed = (): void => {
    if (timer === null) {
      timer = window.setTimeout(
        take,
        Math.max(FIRST_PICTURE_MS, last + PICTURE_EVERY_MS - Date.now())
      );
    }
  };
  doc.on_change(changed, true);
  changed();
  return () => {
    doc.remove_on_change(changed);
    if (timer !== null) {
      window.clearTimeout(timer);
    }
  };
}

function encodePicture(source: HTMLCanvasElement): string | null {
  if (source.width === 0 || source.height === 0 || isBlank(source)) {
    return null;
  }
  let scale = Math.min(1, PICTURE_MAX_PX / Math.max(source.width, source.height));
  for (;;) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(source.width * scale));
    canvas.height = Math.max(1, Math.round(source.height * scale));
    canvas.getContext('2d')?.drawImage(source, 0, 0, canvas.width, canvas.height);
    const png = canvas.toDataURL('image/png').split(',', 2)[1] ?? '';
    // base64: four characters for three bytes.
    if ((png.length * 3) / 4 <= PICTURE_MAX_BYTES || canvas.width <= 100) {
      return png;
    }
    scale /= 2;
  }
}

/** One colour all over: a layout whose parts BokehJS does not draw. */
function isBlank(canvas: HTMLCanvasElement): boolean {
  const context = canvas.getContext('2d');
  if (!context) {
    return true;
  }
  const pixels = new Uint32Array(
    context.getImageData(0, 0, canvas.width, canvas.height).data.buffer
  );
  return pixels.every(pixel => pixel === pixels[0]);
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

async function embedBokehView(host: HTMLElement, view: IBokehView, reach: IReach): Promise<void> {
  const app = new URL(view.url);
  const paths = view.static ?? [];
  const route = await routeTo(app, paths, reach);
  // However many outputs render at the same time; a failed load lets a later one retry.
  const load = loading.then(() => loadMissing(route, paths));
  loading = load.catch(() => undefined);
  await load;
  const bokeh = bokehJS();
  if (!bokeh) {
    throw new Error('BokehJS did not load');
  }
  patchPlotViewListeners(bokeh);
  const element = document.createElement('div');
  host.replaceChildren(element);
  await attached(element);
  const connection = bokeh.require('client/connection');
  let session: IBokehSession;
  if ('pipes' in route) {
    session = await pullSessionOverPipe(connection.ClientConnection, route.pipes, view.token);
  } else {
    const websocket = new URL(`${route.root}${app.pathname}/ws`, window.location.href);
    websocket.protocol = websocket.protocol === 'https:' ? 'wss:' : 'ws:';
    session = await connection.pull_session(websocket.href, view.token, '');
  }
  const views = await bokeh.embed.add_document_standalone(session.document, element);
  embedded.set(view.view_id, { session, views });
}

/** The first transport that reaches the view's server (see the header). */
async function routeTo(app: URL, paths: string[], reach: IReach): Promise<Route> {
  const proxied = reach.proxy?.(app.host) ?? null;
  // Both at once: a remote kernel would otherwise wait for two probe timeouts.
  const probe = paths.find(path => fileName(path) === 'bokeh.min.js') ?? paths[0] ?? '/';
  const [direct, proxy] = await Promise.all([
    canReach(app.origin, probe),
    proxied ? canReach(proxied, probe) : false
  ]);
  if (direct) {
    return { root: app.origin };
  }
  if (proxy && proxied) {
    return { root: proxied };
  }
  if (reach.pipes) {
    return { pipes: reach.pipes };
  }
  throw new Error(
    `this browser cannot reach the kernel's Bokeh server (${app.origin}), neither ` +
      'directly nor through the Jupyter server, and the page has no kernel connection'
  );
}

/**
 * The files of `paths` this page has not run yet: from the view's server, or
 * from the kernel over a comm (which sends those the page lacks, by name).
 */
async function loadMissing(route: Route, paths: string[]): Promise<void> {
  const found = ran.size === 0 ? bokehJS() : undefined;
  if (found) {
    // BokehJS came from elsewhere (another extension, an HTML output, Panel's
    // notebook loader, which marks the Panel it loaded as `Bokeh.Panel`).
    const there = (name: string): boolean =>
      name.startsWith('bokeh') || (name === 'panel.min.js' && 'Panel' in found);
    paths
      .map(fileName)
      .filter(there)
      .forEach(name => ran.add(name));
  }
  const missing = paths.filter(path => !ran.has(fileName(path)));
  if (missing.length === 0) {
    return;
  }
  if ('pipes' in route) {
    for (const [name, code] of await bokehScriptsOverPipe(route.pipes, Array.from(ran))) {
      bokehJS(); // an extension registers itself with window.Bokeh: ours
      await runScript(code);
      ran.add(name);
    }
    // What the kernel did not send it does not have inline (MathJax): asked once.
    missing.forEach(path => ran.add(fileName(path)));
    return;
  }
  for (const path of missing) {
    bokehJS(); // an extension registers itself with window.Bokeh: ours
    await loadScript(route.root + path);
    ran.add(fileName(path));
  }
}

/** `panel.min.js` for `/static/extensions/panel/panel.min.js?v=...`. */
function fileName(path: string): string {
  return path.split('?')[0].split('/').pop() ?? path;
}

/** Run code from the kernel as a script (BokehJS's files expect to be one). */
async function runScript(code: string): Promise<void> {
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  try {
    await loadScript(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The BokehJS this page's views run on, once one is there. */
let pageBokeh: IBokeh | undefined;

/**
 * The page's BokehJS. Panel's notebook loader (`pn.extension()` in a cell) clears
 * `window.Bokeh` when that BokehJS lacks Panel, then loads its own from a CDN; with
 * no CDN to reach it never puts one back, and the views here would lose theirs.
 */
function bokehJS(): IBokeh | undefined {
  const root = window as unknown as { Bokeh?: IBokeh };
  if (root.Bokeh) {
    pageBokeh = root.Bokeh;
  } else if (pageBokeh) {
    root.Bokeh = pageBokeh;
  }
  return pageBokeh;
}

/** Resolves once `element` is in the page (BokehJS lays views out there). */
async function attached(element: HTMLElement): Promise<void> {
  const deadline = Date.now() + ATTACH_TIMEOUT_MS;
  while (!element.isConnected) {
    if (Date.now() > deadline) {
      throw new Error('the output never reached the page');
    }
    await new Promise(resolve => window.setTimeout(resolve, 20));
  }
}

/**
 * Can this browser load `root + path`? Asked once per root, with a HEAD request
 * (no body). A server of another origin answers opaquely, which is enough: only
 * an unreachable one fails. (Not an image of `/favicon.ico`: browsers and their
 * automation treat favicon requests specially.)
 */
function canReach(root: string, path: string): Promise<boolean> {
  let answer = reachable.get(root);
  if (!answer) {
    const sameOrigin = new URL(root, window.location.href).origin === window.location.origin;
    const abort = new AbortController();
    const timer = window.setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
    answer = fetch(root + path, {
      method: 'HEAD',
      mode: sameOrigin ? 'same-origin' : 'no-cors',
      credentials: sameOrigin ? 'same-origin' : 'omit',
      signal: abort.signal
    })
      .then(response => response.type === 'opaque' || response.ok)
      .catch(() => false)
      .finally(() => window.clearTimeout(timer));
    reachable.set(root, answer);
  }
  return answer;
}

/** Load one script and wait for it to run. */
function loadScript(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}
