/**
 * A pipe: one comm-like conversation with a kernel-side comm target, whatever
 * carries it. In JupyterLab and Notebook 7 a pipe is a real kernel comm
 * (`kernelPipes.ts`); in a frontend without this extension (VS Code, Voilà,
 * Colab) it is tunnelled through the session's widget (`widgetPipes.ts`, and
 * `core/widget.py` kernel-side). What travels on a pipe (a Bokeh view, BokehJS)
 * neither knows nor cares which.
 */

/** JSON data, as comm messages carry it. */
export type PipeData = Record<string, unknown>;

export interface IPipe {
  /** Send a message with optional binary buffers. */
  send(data: PipeData, buffers?: ArrayBuffer[]): void;
  /** Close the pipe: the kernel hears it. Idempotent. */
  close(): void;
  /** A message from the kernel. */
  onMsg: ((data: PipeData, buffers: ArrayBuffer[]) => void) | null;
  /** The kernel closed the pipe (`data.error` says why, if it refused). */
  onClose: ((data: PipeData) => void) | null;
}

/** Open a pipe to the kernel's comm target `target` with `data`. */
export type PipeOpener = (target: string, data: PipeData) => IPipe;

/** A comm buffer as a plain ArrayBuffer (what BokehJS reads). */
export function arrayBuffer(buffer: ArrayBuffer | ArrayBufferView | undefined): ArrayBuffer {
  if (buffer === undefined) {
    throw new Error('a message named a buffer it did not carry');
  }
  if (buffer instanceof ArrayBuffer) {
    return buffer;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice().buffer;
}
