/**
 * The mime renderer for session outputs: shows the session's view and tells
 * the kernel when the view goes.
 *
 * A trusted Bokeh view is embedded live from the kernel's server; anything else
 * is the output's own HTML, rendered with JupyterLab's `renderHTML`, so an
 * untrusted notebook runs no script. Under the view, the session's label and a
 * Close button, which tells the kernel over the commands comm: handled on a
 * subshell, so it closes at once even while another cell computes (the session
 * widget's button waits for the main shell). Registered at a rank below
 * ipywidgets' (-10), so this renderer, not the session widget, shows the output
 * where the extension runs. `dispose()` is the one signal that an output
 * left the page: output cleared, cell re-run or deleted, notebook closed. Whether
 * the session really went (a moved cell's output comes straight back) is for the
 * owner to decide (`departures.ts`), and so is letting go of the live view.
 */
import { renderHTML } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Kernel, ServerConnection } from '@jupyterlab/services';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IReach } from './bokehLoader';
import { isBokehView, releaseBokehView, renderBokehView } from './bokehView';
import { IDeparture } from './departures';
import { kernelPipes } from './kernelPipes';
import { ISessionOutput, MIME_TYPE } from './messages';
import {
  PICTURE_MIME,
  keptPicture,
  pictureElement,
  pictureOf,
  pictureOptions,
  withPicture,
  withoutPicture
} from './pictures';

/** What a renderer needs from the notebook it renders in. */
export interface IOutputOwner {
  /** The notebook's kernel connection (views may travel over it); null if none. */
  readonly kernel: Kernel.IKernelConnection | null;
  /** A session output is rendering: the kernel has sessions, open the comm. */
  outputRendered(sessionId: string): void;
  /** A live view of `sessionId` shows (the kernel's note says whether one did). */
  viewShown(sessionId: string): void;
  /** The user pressed the output's Close button. */
  closeSession(sessionId: string): void;
  /**
   * A view was disposed: the owner decides whether its session went, and lets
   * go of its live view (kept meanwhile for a moved cell to take back) if so.
   */
  viewDisposed(departure: IDeparture): void;
}

export class SessionRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly owner: IOutputOwner
  ) {
    super();
    this.addClass('jp-jupyter-sessions-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[MIME_TYPE] as unknown as ISessionOutput;
    if (this.live && isBokehView(data.view) && data.view.view_id === this.live.viewId) {
      this.model = model; // the same live view, with a picture kept: nothing to redraw
      return;
    }
    if (data.view === null && !(PICTURE_MIME in model.data)) {
      // The session closed: its note keeps the last picture of the view it replaces.
      const picture = this.picture();
      if (picture) {
        model.setData({ data: withPicture(model.data, picture) }); // renders it again
        return;
      }
    }
    this.model = model;
    const render = ++this.renders;
    this.sessionId = data.session_id;
    this.cell = data.cell ?? null;
    this.node.dataset.sessionId = data.session_id;
    this.owner.outputRendered(data.session_id);
    const host = document.createElement('div');
    this.node.replaceChildren(host);
    if (data.label !== undefined) {
      this.node.append(this.closeBar(data.session_id, data.label));
    }
    const picture = keptPicture(model.data);
    let failure: string | null = null;
    if (model.trusted && isBokehView(data.view)) {
      if (picture) {
        host.append(pictureElement(picture, this.alt)); // until the live view replaces it
      }
      try {
        await renderBokehView(host, data.view, this.reach());
        if (this.isDisposed || render !== this.renders) {
          // The output went, or changed (its session closed), while the view loaded:
          // nothing will show this view, or let go of its websocket, but here.
          releaseBokehView(data.view.view_id, host);
          return;
        }
        this.live = { viewId: data.view.view_id, host };
        this.owner.viewShown(data.session_id);
        return;
      } catch (reason) {
        if (this.isDisposed || render !== this.renders) {
          return; // the output went or changed while its view loaded (a re-run, a Close)
        }
        console.warn('[jupyter-sessions] could not load the Bokeh view', reason);
        failure = reason instanceof Error ? reason.message : String(reason);
      }
    }
    this.release(); // no live view here any more (a closed session's note)
    if (picture) {
      renderKept(host, model, picture, failure, this.trans);
      return;
    }
    if (failure) {
      // Not the output's HTML: its script would load the same view from the same
      // server, by a route this page just failed to reach, and hold a server
      // session for it, even for a session that closed while its view loaded.
      const note = document.createElement('div');
      note.className = 'jp-jupyter-sessions-failure';
      note.textContent = this.trans.__('The live view could not load: %1.', failure);
      host.replaceChildren(note);
      return;
    }
    await this.renderFallback(host, model);
  }

  /**
   * Keep a picture of the live view in the output's data, for the notebook as a
   * document (the notebook is being saved; its kernel went).
   */
  keepPicture(): void {
    if (!this.live || !this.model) {
      return;
    }
    if (!pictureOptions.keep) {
      // Turned off after a save kept one: the file should carry none from now on.
      if (keptPicture(this.model.data) !== null) {
        this.model.setData({ data: withoutPicture(this.model.data) });
      }
      return;
    }
    const picture = pictureOf(this.live.viewId);
    if (picture && picture !== this.model.data[PICTURE_MIME]) {
      this.model.setData({ data: withPicture(this.model.data, picture) });
    }
  }

  /** The live view's picture now, else the one the output kept. */
  private picture(): string | null {
    const live = this.live ? pictureOf(this.live.viewId) : null;
    return live ?? (this.model ? keptPicture(this.model.data) : null);
  }

  /** The session's label and its Close button. */
  private closeBar(sessionId: string, label: string): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'jp-jupyter-sessions-bar';
    const button = document.createElement('button');
    button.className = 'jp-mod-styled jp-mod-reject';
    button.textContent = this.trans.__('Close');
    button.title = this.trans.__('Close this session and free what it holds');
    button.onclick = () => this.owner.closeSession(sessionId);
    const text = document.createElement('small');
    text.textContent = label;
    bar.append(button, text);
    return bar;
  }

  /** Through the Jupyter server's proxy, or over the notebook's kernel. */
  private reach(): IReach {
    const kernel = this.owner.kernel;
    const base = ServerConnection.makeSettings().baseUrl;
    return {
      proxy: host => `${base}proxy/${host}`,
      pipes: kernel && !kernel.isDisposed ? kernelPipes(kernel) : null
    };
  }

  private async renderFallback(host: HTMLElement, model: IRenderMime.IMimeModel): Promise<void> {
    await renderHTML({
      host,
      source: String(model.data['text/html'] ?? ''),
      trusted: model.trusted,
      sanitizer: this.options.sanitizer,
      resolver: this.options.resolver,
      linkHandler: this.options.linkHandler,
      shouldTypeset: this.isAttached,
      latexTypesetter: this.options.latexTypesetter,
      translator: this.options.translator
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const sessionId = this.sessionId;
    super.dispose();
    if (sessionId) {
      const viewId = this.live?.viewId ?? null;
      this.owner.viewDisposed({ sessionId, cell: this.cell, viewId });
    }
  }

  /** Forget the live view's DOM kept for a moved cell to take over. */
  private release(): void {
    if (this.live) {
      releaseBokehView(this.live.viewId, this.live.host);
      this.live = null;
    }
  }

  private get trans(): TranslationBundle {
    return (this.options.translator ?? nullTranslator).load('jupyter_sessions');
  }

  private get alt(): string {
    return this.trans.__('The last picture of this session');
  }

  private sessionId: string | null = null;
  /** The cell that owns the session, as the output says. */
  private cell: string | null = null;
  /** The output rendered now (the picture kept goes into its data). */
  private model: IRenderMime.IMimeModel | null = null;
  /** The live Bokeh view shown, if any, and the element it lives in. */
  private live: { viewId: string; host: HTMLElement } | null = null;
  /** Renders begun: a view that loaded for an earlier one is not shown. */
  private renders = 0;
}

/** A closed session's note with the picture it kept, or a live one's picture alone. */
function renderKept(
  host: HTMLElement,
  model: IRenderMime.IMimeModel,
  picture: string,
  failure: string | null,
  trans: TranslationBundle
): void {
  const data = model.data[MIME_TYPE] as unknown as ISessionOutput;
  const note = document.createElement('div');
  note.className = 'jp-jupyter-sessions-note';
  const words = String(model.data['text/plain'] ?? '').split('\n')[0];
  note.textContent =
    data.view === null
      ? trans.__('%1; its last picture:', words)
      : trans.__('The last picture of this view (the live view could not load: %1).', failure);
  host.replaceChildren(note, pictureElement(picture, trans.__('The last picture of this session')));
  if (data.error) {
    const error = document.createElement('pre');
    error.className = 'jp-jupyter-sessions-failure';
    error.textContent = data.error;
    host.append(error);
  }
}

/** Below ipywidgets' widget-view renderer (-10): the session widget is the fallback. */
export const RANK = -20;

/** A renderer factory bound to one notebook. */
export function rendererFactory(owner: IOutputOwner): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: RANK,
    createRenderer: options => new SessionRenderer(options, owner)
  };
}
