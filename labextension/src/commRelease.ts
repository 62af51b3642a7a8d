/**
 * A workaround for a JupyterLab leak that keeps every comm a kernel connection ever had.
 *
 * `@jupyterlab/services`' `CommHandler` (7.x) connects an arrow function to its
 * kernel's `statusChanged` in its constructor and never disconnects it, and
 * `dispose()` keeps the comm's `onMsg` and `onClose` handlers. So a closed comm
 * stays reachable for the kernel connection's life, and through its handlers
 * whatever it served: a session widget's model, about 50 KB per re-run (found with
 * heap snapshots; tests/test_page_memory.py measures it). Here, once per page, a
 * disposed comm lets go of its handlers; the small comm object itself still stays.
 *
 * The session widget (a frontend without this extension) has no comm in hand, only
 * its widget manager's kernel connection: it patches through any comm that
 * connection holds (its own model's is one).
 *
 * Internals relied on, measured by that test against the installed JupyterLab: the
 * comm's class (shared by every comm of the page) has `dispose()`, and keeps the
 * handlers in `_onMsg` and `_onClose`; a kernel connection keeps its comms in the
 * map `_comms`.
 */
import { Kernel } from '@jupyterlab/services';

interface IHandlerFields {
  _onMsg: unknown;
  _onClose: unknown;
}

const patched = new WeakSet<object>();

/** Make every comm of `comm`'s class let go of its handlers when disposed (once). */
export function releaseHandlersOnDispose(comm: Kernel.IComm): void {
  const prototype = Object.getPrototypeOf(comm) as { dispose?: () => void } | null;
  if (!prototype || typeof prototype.dispose !== 'function' || patched.has(prototype)) {
    return;
  }
  patched.add(prototype);
  const dispose = prototype.dispose;
  prototype.dispose = function (this: IHandlerFields): void {
    dispose.call(this);
    this._onMsg = null;
    this._onClose = null;
  };
}

/** The same, through a comm of `kernel` (a no-op for kernels shaped otherwise). */
export function releaseHandlersOfKernel(kernel: unknown): void {
  const comms = (kernel as { _comms?: unknown } | null | undefined)?._comms;
  if (!(comms instanceof Map)) {
    return;
  }
  const comm = comms.values().next().value as Kernel.IComm | undefined;
  if (comm) {
    releaseHandlersOnDispose(comm);
  }
}
