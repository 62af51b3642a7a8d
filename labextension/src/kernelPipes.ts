/**
 * Pipes that are real kernel comms: how a JupyterLab or Notebook 7 page with
 * this extension opens views over the kernel's channel.
 *
 * Closed on the main shell (see `sendOnMainShell`), so the kernel always hears
 * it, even while a cell computes.
 */
import { Kernel } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';

import { sendOnMainShell } from './mainShell';
import { arrayBuffer, IPipe, PipeData, PipeOpener } from './pipe';

/** Pipes over `kernel`'s comms. */
export function kernelPipes(kernel: Kernel.IKernelConnection): PipeOpener {
  return (target, data) => new KernelPipe(kernel, target, data);
}

class KernelPipe implements IPipe {
  constructor(
    private readonly kernel: Kernel.IKernelConnection,
    target: string,
    data: PipeData
  ) {
    this.comm = kernel.createComm(target);
    this.comm.onMsg = msg =>
      this.onMsg?.(msg.content.data as PipeData, (msg.buffers ?? []).map(arrayBuffer));
    this.comm.onClose = msg => {
      this.closed = true;
      this.onClose?.(msg.content.data as PipeData);
    };
    this.comm.open(data as JSONObject).done.catch(reason => {
      this.closed = true;
      this.onClose?.({ error: `could not open ${target}: ${reason}` });
    });
  }

  onMsg: IPipe['onMsg'] = null;
  onClose: IPipe['onClose'] = null;

  send(data: PipeData, buffers?: ArrayBuffer[]): void {
    if (!this.closed && !this.comm.isDisposed) {
      this.comm.send(data as JSONObject, undefined, buffers);
    }
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.comm.isDisposed || this.kernel.isDisposed) {
      return;
    }
    try {
      sendOnMainShell(this.kernel, 'comm_close', this.comm.commId, {});
    } catch (reason) {
      console.warn('[jupyter-sessions] could not close a comm', reason);
    }
    this.comm.dispose();
  }

  private readonly comm: Kernel.IComm;
  private closed = false;
}
