/**
 * How this page reaches a kernel's Bokeh server, and BokehJS loaded once per page.
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
 * When none works, the view's output says so in words.
 *
 * BokehJS is loaded once per page, from the server the view comes from, or from
 * the kernel over a comm, never from a CDN. Its extensions' files (Panel's) are
 * loaded the same way when the first view that needs them arrives, so a Panel
 * view renders in a page that loaded plain BokehJS before Panel was imported;
 * every file runs once per page, in the order the kernel lists.
 *
 * What this module keeps (`page`) is one per page and must be: a page has one
 * `window.Bokeh`, every output of every notebook in it (and every session widget)
 * runs on it, and a server's reachability is the same for all of them.
 */
import { bokehScriptsOverPipe, pullSessionOverPipe } from './bokehComm';
import { patchPlotViewListeners } from './bokehPatches';
import { PipeOpener } from './pipe';

/** What this extension uses of BokehJS (see `bokehView.ts`'s header). */
export interface IBokehDocument {
  _cancel_recompute_all_models?: () => void;
  on_change(callback: () => void, allow_batches: true): void;
  remove_on_change(callback: () => void): void;
}
export interface IBokehSession {
  readonly document: IBokehDocument;
  close(): void;
}
export interface IBokehViews {
  clear(): void;
  /** The document's root views (BokehJS 3.x's `ViewManager.roots`). */
  readonly roots?: IExportable[];
}
/** A root view BokehJS can draw into one canvas: a plot, or a layout of plots. */
export interface IExportable {
  export?(type: 'png', hidpi: boolean): { readonly canvas: HTMLCanvasElement };
}
export interface IBokeh {
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

/** The ways this page may reach a kernel's views, besides loading them directly. */
export interface IReach {
  /** The Jupyter server's proxy root for a loopback `host:port`; null if none. */
  proxy: ((host: string) => string) | null;
  /** Pipes to the kernel's comm targets; null if the page has no kernel connection. */
  pipes: PipeOpener | null;
}

/** How a view reaches this page: from a server root (direct or proxied), or pipes. */
export type Route = { root: string } | { pipes: PipeOpener };

const PROBE_TIMEOUT_MS = 1500;

/** This page's BokehJS and what it knows of the servers (see the header). */
const page = {
  /** Whether this browser reaches each server root, asked once per root. */
  reachable: new Map<string, Promise<boolean>>(),
  /** The BokehJS files this page ran, by name (`bokeh.min.js`, `panel.min.js`). */
  ran: new Set<string>(),
  /** Every load waits for the one before: files run in order, once each. */
  loading: Promise.resolve(),
  /** The BokehJS this page's views run on, once one is there. */
  bokeh: undefined as IBokeh | undefined
};

/**
 * The route to the server of the view at `url`, once BokehJS and the files in
 * `paths` (the view's `static`) run in this page.
 */
export async function loadBokeh(
  url: URL,
  paths: string[],
  reach: IReach
): Promise<{ bokeh: IBokeh; route: Route }> {
  const route = await routeTo(url, paths, reach);
  // However many outputs render at the same time; a failed load lets a later one retry.
  const load = page.loading.then(() => loadMissing(route, paths));
  page.loading = load.catch(() => undefined);
  await load;
  const bokeh = bokehJS();
  if (!bokeh) {
    throw new Error('BokehJS did not load');
  }
  patchPlotViewListeners(bokeh);
  return { bokeh, route };
}

/**
 * The page's BokehJS. Panel's notebook loader (`pn.extension()` in a cell) clears
 * `window.Bokeh` when that BokehJS lacks Panel, then loads its own from a CDN; with
 * no CDN to reach it never puts one back, and the views here would lose theirs.
 */
export function bokehJS(): IBokeh | undefined {
  const root = window as unknown as { Bokeh?: IBokeh };
  if (root.Bokeh) {
    page.bokeh = root.Bokeh;
  } else if (page.bokeh) {
    root.Bokeh = page.bokeh;
  }
  return page.bokeh;
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
  const ran = page.ran;
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

/**
 * Can this browser load `root + path`? Asked once per root, with a HEAD request
 * (no body). A server of another origin answers opaquely, which is enough: only
 * an unreachable one fails. (Not an image of `/favicon.ico`: browsers and their
 * automation treat favicon requests specially.)
 */
function canReach(root: string, path: string): Promise<boolean> {
  let answer = page.reachable.get(root);
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
    page.reachable.set(root, answer);
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
