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
 * owner to decide.
 */
import { renderHTML } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Kernel, ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { IReach, isBokehView, releaseBokehView, renderBokehView } from './bokehView';
import { kernelPipes } from './kernelPipes';
import { ISessionOutput, MIME_TYPE } from './messages';

/** What a renderer needs from the notebook it renders in. */
export interface IOutputOwner {
  /** The notebook's kernel connection (views may travel over it); null if none. */
  readonly kernel: Kernel.IKernelConnection | null;
  /** A session output is rendering: the kernel has sessions, open the comm. */
  outputRendered(sessionId: string): void;
  /** The user pressed the output's Close button. */
  closeSession(sessionId: string): void;
  /**
   * A view of `sessionId` was disposed; `release` frees what it keeps for a
   * moved cell to take back, once the owner finds the session really went.
   */
  viewDisposed(sessionId: string, release: () => void): void;
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
    this.sessionId = data.session_id;
    this.node.dataset.sessionId = data.session_id;
    this.owner.outputRendered(data.session_id);
    const host = document.createElement('div');
    this.node.replaceChildren(host);
    if (data.label !== undefined) {
      this.node.append(this.closeBar(data.session_id, data.label));
    }
    let failure: string | null = null;
    if (model.trusted && isBokehView(data.view)) {
      try {
        await renderBokehView(host, data.view, this.reach());
        this.live = { viewId: data.view.view_id, host };
        return;
      } catch (reason) {
        console.warn('[jupyter-sessions] could not load the Bokeh view', reason);
        failure = reason instanceof Error ? reason.message : String(reason);
      }
    }
    this.release(); // no live view here any more (a closed session's note)
    await this.renderFallback(host, model);
    if (failure) {
      const note = document.createElement('div');
      note.className = 'jp-jupyter-sessions-failure';
      note.textContent = `The live view could not load: ${failure}.`;
      host.prepend(note);
    }
  }

  /** The session's label and its Close button. */
  private closeBar(sessionId: string, label: string): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'jp-jupyter-sessions-bar';
    const button = document.createElement('button');
    button.className = 'jp-mod-styled jp-mod-reject';
    button.textContent = 'Close';
    button.title = 'Close this session and free what it holds';
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
      this.owner.viewDisposed(sessionId, () => this.release());
    }
  }

  /** Forget the live view's DOM kept for a moved cell to take over. */
  private release(): void {
    if (this.live) {
      releaseBokehView(this.live.viewId, this.live.host);
      this.live = null;
    }
  }

  private sessionId: string | null = null;
  /** The live Bokeh view shown, if any, and the element it lives in. */
  private live: { viewId: string; host: HTMLElement } | null = null;
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
