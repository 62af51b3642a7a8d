/**
 * Pipes tunnelled through a session widget's comm: how a page without this
 * extension (VS Code, Voilà, Colab) reaches the kernel's comm targets. The kernel
 * side is `jupyter_sessions/core/widget.py`.
 *
 * Page to kernel: `{pipe, open: target, data}`, `{pipe, data}`, `{pipe, close: true}`;
 * kernel to page: `{pipe, data}`, `{pipe, closed: data}`, all as the widget's
 * custom messages.
 */
import { arrayBuffer, IPipe, PipeData, PipeOpener } from './pipe';

/** The part of an anywidget model this module uses. */
export interface IWidgetModel {
  send(content: PipeData, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: 'msg:custom', callback: (content: PipeData, buffers?: DataView[]) => void): void;
  off(event: 'msg:custom', callback: (content: PipeData, buffers?: DataView[]) => void): void;
}

/** Pipes over `model`'s comm; `dispose()` closes those still open. */
export class WidgetPipes {
  constructor(private readonly model: IWidgetModel) {
    model.on('msg:custom', this.onCustom);
  }

  /** Open a pipe to the kernel's comm target `target`. */
  readonly open: PipeOpener = (target, data) => {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const pipe = new WidgetPipe(this.model, id, () => this.pipes.delete(id));
    this.pipes.set(id, pipe);
    this.model.send({ pipe: id, open: target, data });
    return pipe;
  };

  dispose(): void {
    this.model.off('msg:custom', this.onCustom);
    for (const pipe of Array.from(this.pipes.values())) {
      pipe.close();
    }
  }

  private readonly onCustom = (content: PipeData, buffers?: DataView[]): void => {
    const pipe = this.pipes.get(String(content.pipe));
    if (!pipe) {
      return;
    }
    if ('closed' in content) {
      pipe.closedByKernel((content.closed ?? {}) as PipeData);
    } else {
      pipe.onMsg?.((content.data ?? {}) as PipeData, (buffers ?? []).map(arrayBuffer));
    }
  };

  private readonly pipes = new Map<string, WidgetPipe>();
}

class WidgetPipe implements IPipe {
  constructor(
    private readonly model: IWidgetModel,
    private readonly id: string,
    private readonly forget: () => void
  ) {}

  onMsg: IPipe['onMsg'] = null;
  onClose: IPipe['onClose'] = null;

  send(data: PipeData, buffers?: ArrayBuffer[]): void {
    if (!this.closed) {
      this.model.send({ pipe: this.id, data }, undefined, buffers);
    }
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.forget();
    this.model.send({ pipe: this.id, close: true });
  }

  closedByKernel(data: PipeData): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.forget();
    this.onClose?.(data);
  }

  private closed = false;
}
