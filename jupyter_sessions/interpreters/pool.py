"""The pool: persistent kernels shared by key, and the watcher of idle ones.

The pool hands out one :class:`~.kernel.SharedKernel` per key (kernel name, cwd,
group); each ``PersistentProcess`` session holds one reference and gives it back
when it closes; the last one out shuts the kernel down. A kernel found dead leaves
the pool at once, so the next ``acquire`` of its key starts a fresh one.

Threads: any thread may acquire or release. Kernels of one key start one at a time,
other keys in parallel. Between commands, one watcher thread
(``jupyter-sessions-process-watch``, alive only while the pool holds kernels)
checks every ``WATCH_EVERY`` seconds, so an idle kernel's death shows too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from .kernel import Key, SharedKernel

log = logging.getLogger(__name__)

WATCH_EVERY = 0.5

_lock = threading.Lock()  # guards the pool's maps, never held while a kernel starts
_kernels: dict[Key, SharedKernel] = {}
_starting: dict[Key, threading.Lock] = {}  # kernels of one key start one at a time


def acquire(key: Key, startup_timeout: float, *, fresh: bool = False) -> SharedKernel:
    """The live kernel for ``key`` with one more reference, started if needed.

    Runs on the opener's thread; startup errors propagate (nothing is left running).
    Openers of the same key wait for each other; other keys start in parallel.
    ``fresh``: the caller wants a fresh interpreter (a restart), so a kernel that
    other handles still share is restarted in place.
    """
    with _lock:
        starting = _starting.setdefault(key, threading.Lock())
    with starting:
        with _lock:
            kernel = _kernels.get(key)
            if kernel is not None and not kernel.dead:
                kernel.refs += 1
                return _restarted(kernel, startup_timeout) if fresh else kernel
        kernel = SharedKernel(key, startup_timeout, forget=_forget)
        with _lock:
            kernel.refs = 1
            _kernels[key] = kernel
            _watch()
        return kernel


def _restarted(kernel: SharedKernel, startup_timeout: float) -> SharedKernel:
    """``kernel`` restarted in place for a caller holding a reference to it."""
    try:
        kernel.restart(startup_timeout)
    except BaseException as exc:
        kernel.kill(f"restart failed: {exc}")
        release(kernel)
        raise
    return kernel


def release(kernel: SharedKernel) -> None:
    """Drop one reference; the last one shuts the kernel down. Any thread."""
    with _lock:
        kernel.refs -= 1
        last = kernel.refs <= 0
        if last and _kernels.get(kernel.key) is kernel:
            del _kernels[kernel.key]
    if last:
        kernel.stop()
        log.debug("Persistent kernel %s shut down", kernel.key)


def _forget(kernel: SharedKernel) -> None:
    """A kernel found dead leaves the pool (its handles still hold and release it)."""
    with _lock:
        if _kernels.get(kernel.key) is kernel:
            del _kernels[kernel.key]


_watcher: threading.Thread | None = None


def _watch() -> None:
    """Start the idle-death watcher unless it runs (called under ``_lock``)."""
    global _watcher
    if _watcher is None:
        _watcher = threading.Thread(
            target=_watch_idle, name="jupyter-sessions-process-watch", daemon=True
        )
        _watcher.start()


def _watch_idle() -> None:
    """Check every pooled kernel's process; end once the pool is empty."""
    global _watcher
    try:
        while True:
            time.sleep(WATCH_EVERY)
            with _lock:
                kernels = list(_kernels.values())
                if not kernels:  # decided under the lock, so acquire() starts a new watcher
                    _watcher = None
                    return
            for kernel in kernels:
                kernel.alive()  # a dead one reports itself; its handles release it here
    finally:
        _close_thread_loop()


def _close_thread_loop() -> None:
    """Close the event loop jupyter_client's blocking calls left on this thread."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:  # none was made
        return
    asyncio.set_event_loop(None)
    loop.close()


def live() -> list[SharedKernel]:
    """Kernels currently in the pool."""
    with _lock:
        return list(_kernels.values())
