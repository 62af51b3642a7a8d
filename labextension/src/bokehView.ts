/**
 * A live Bokeh view in the page, from the embedded server of the kernel.
 *
 * How the page reaches the server and loads BokehJS is `bokehLoader.ts`; the
 * pictures a page keeps of a view are `pictures.ts`. Here the view is embedded
 * with BokehJS's own session API (`pull_session` and `add_document_standalone`),
 * not its autoload script. The autoload script would load BokehJS again for
 * every view (each run keeps megabytes of code alive), and it keeps every
 * session it pulled in a cache private to BokehJS, documents and messages
 * included, for the page's lifetime. Here the page holds each view's session
 * itself, and lets go of it when the view goes (tests/test_page_memory.py
 * measures the page's heap). The view is built once its element is in the page
 * (BokehJS lays it out there).
 *
 * A moved cell (JupyterLab removes the cell and renders a new one) or a cut and
 * pasted one renders the same view again, but BokehJS embeds a view's document
 * once per page: a second embed fails and leaves the plot blank. So the new
 * output takes over the live DOM its departed predecessor left behind, BokehJS's
 * views and connection included, until the page finds the view went for good
 * (`releaseDeparted`).
 *
 * BokehJS internals relied on, pinned by the browser tests against the installed
 * Bokeh: `Bokeh.require('client/connection').pull_session(url, token)` giving a
 * session with `document` and `close()`, `Bokeh.embed.add_document_standalone`
 * giving the views' manager (`clear()`), and `Bokeh.documents`, where every
 * document registers itself; a document's `_cancel_recompute_all_models()`, used
 * when present; `bokehComm.ts` lists what the comm transport uses.
 */
import { pullSessionOverPipe } from './bokehComm';
import {
  IBokehDocument,
  IBokehSession,
  IBokehViews,
  IExportable,
  IReach,
  bokehJS,
  loadBokeh
} from './bokehLoader';

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

const ATTACH_TIMEOUT_MS = 30000;

/** A view embedded in this page: the element it was last rendered into, its BokehJS parts. */
interface ILiveView {
  host: HTMLElement;
  /** What BokehJS made of it (a view adopted keeps those of the output it came from). */
  embedded: IEmbedded;
}
interface IEmbedded {
  session: IBokehSession;
  views: IBokehViews;
}

/**
 * The views embedded in this page, by view id, until they go. One per page and
 * must be: BokehJS embeds a document once per page, so the output that renders a
 * moved cell (another renderer, maybe another notebook panel) finds it here.
 */
const live = new Map<string, ILiveView>();

/** Load the view into `host` (built once `host` is in the document). */
export async function renderBokehView(
  host: HTMLElement,
  view: IBokehView,
  reach: IReach
): Promise<void> {
  if (live.get(view.view_id)?.host.isConnected) {
    // A cell moved up is rendered anew before its old DOM leaves the page,
    // within this task.
    await new Promise(resolve => window.setTimeout(resolve, 0));
  }
  if (adoptBokehView(host, view.view_id)) {
    return;
  }
  const embedded = await embedBokehView(host, view, reach);
  live.set(view.view_id, { host, embedded });
}

/**
 * The view left the page for good from `host` (its output cleared, its cell
 * deleted): forget the DOM kept for a moved cell to take over. A no-op once
 * another host took it.
 */
export function releaseBokehView(viewId: string, host: HTMLElement): void {
  const view = live.get(viewId);
  if (view?.host !== host) {
    return;
  }
  live.delete(viewId);
  host.replaceChildren();
  letGo(view.embedded);
}

/**
 * The page found that the view went for good (`departures.ts`): let go of it,
 * unless an output in the page took it over meanwhile (a moved cell).
 */
export function releaseDeparted(viewId: string): void {
  const view = live.get(viewId);
  if (view && !view.host.isConnected) {
    releaseBokehView(viewId, view.host);
  }
}

/** The live document of the view, if it is embedded in this page. */
export function liveDocument(viewId: string): IBokehDocument | null {
  return live.get(viewId)?.embedded.session.document ?? null;
}

/** The first root view of the view (what its picture shows), if embedded here. */
export function liveRoot(viewId: string): IExportable | null {
  return live.get(viewId)?.embedded.views.roots?.[0] ?? null;
}

/** Out of BokehJS's page-wide indexes, and its websocket closed. */
function letGo({ session, views }: IEmbedded): void {
  try {
    views.clear(); // out of BokehJS's page-wide index of views
    session.close(); // the websocket, if the server has not closed it yet
  } catch (reason) {
    console.warn('[jupyter-sessions] could not let go of a departed Bokeh view', reason);
  }
  const doc = session.document;
  const documents = bokehJS()?.documents ?? [];
  const index = documents.indexOf(doc);
  if (index >= 0) {
    documents.splice(index, 1);
  }
  // A document's last change arms a 30 s timer (it recomputes the document's
  // models), which keeps the departed document, all of it, until it fires.
  doc._cancel_recompute_all_models?.();
}

/** Move the view's live DOM into `host`, if a departed output left it; false if none. */
function adoptBokehView(host: HTMLElement, viewId: string): boolean {
  const view = live.get(viewId);
  const previous = view?.host;
  // One still in the page (a second view of the notebook) is left alone: taking
  // it would blank that one, and BokehJS cannot show the view twice.
  if (!view || !previous || previous === host || previous.isConnected) {
    return false;
  }
  if (!previous.hasChildNodes()) {
    return false;
  }
  host.replaceChildren(...Array.from(previous.childNodes));
  view.host = host;
  return true;
}

async function embedBokehView(
  host: HTMLElement,
  view: IBokehView,
  reach: IReach
): Promise<IEmbedded> {
  const app = new URL(view.url);
  const { bokeh, route } = await loadBokeh(app, view.static ?? [], reach);
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
  return { session, views };
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
