/**
 * Pipes tunnelled through a session widget's comm: how a page without this
 * extension (VS Code, Voilà, Colab) reaches the kernel's comm targets. The kernel
 * side is `jupyter_sessions/core/widget.py`.
 *
 * Page to kernel: `pipe_open`, `pipe_msg`, `pipe_close`; kernel to page:
 * `pipe_msg`, `pipe_closed` (`messages.ts`), all as the widget's custom messages.
 */
import { IWidgetMessage, isPipeReply, refused } from './messages';
import { arrayBuffer, IPipe, PipeData, PipeOpener } from './pipe';

/** What the kernel sends on a session widget's comm (checked on arrival). */
type Custom = (content: unknown, buffers?: DataView[]) => void;

/** The part of an anywidget model this module uses. */
export interface IWidgetModel {
  send(content: IWidgetMessage, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: 'msg:custom', callback: Custom): void;
  off(event: 'msg:custom', callback: Custom): void;
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
    this.model.send({ type: 'pipe_open', pipe: id, target, data });
    return pipe;
  };

  dispose(): void {
    this.model.off('msg:custom', this.onCustom);
    for (const pipe of Array.from(this.pipes.values())) {
      pipe.close();
    }
  }

  private readonly onCustom = (content: unknown, buffers?: DataView[]): void => {
    if (!isPipeReply(content)) {
      refused('session widget message', content);
      return;
    }
    const pipe = this.pipes.get(content.pipe);
    if (!pipe) {
      return; // closed already: a late message
    }
    if (content.type === 'pipe_closed') {
      pipe.closedByKernel(content.data);
    } else {
      pipe.onMsg?.(content.data, (buffers ?? []).map(arrayBuffer));
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
      this.model.send({ type: 'pipe_msg', pipe: this.id, data }, undefined, buffers);
    }
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.forget();
    this.model.send({ type: 'pipe_close', pipe: this.id });
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
