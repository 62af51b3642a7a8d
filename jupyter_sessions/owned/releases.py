"""How each kind of object is released when its cell lets it go.

:func:`releaser` decides once, when the object is owned, so bad input fails in
the cell that owns it (TypeError, saying what to pass), never later at release.
The order, first match wins:

1. ``close=`` given: that callable, always (for a thread: then a bounded join);
2. ``asyncio.Task`` / ``Future``: cancelled on its own loop (thread safe), awaited
   there up to the grace when that loop runs on another thread;
3. ``concurrent.futures.Future``: cancelled; a running one is waited for;
4. ``threading.Thread``: cannot be stopped from outside: ``close=`` is required;
5. ``subprocess.Popen`` and asyncio's ``Process``: SIGTERM (to its process group
   when it leads one), SIGKILL after the grace, reaped;
6. ``concurrent.futures.Executor``: ``shutdown(wait=False, cancel_futures=True)``;
7. ``socketserver`` servers (``http.server``): ``shutdown()`` (bounded: it waits
   for ``serve_forever``), then ``server_close()``;
8. matplotlib animations: ``pause()`` (their timer stops);
9. a method, the first found of ``close``, ``stop``, ``shutdown``, ``cancel``,
   ``terminate``, ``dispose``;
10. a context manager: its ``__exit__(None, None, None)``.

A release never blocks its thread longer than about ``GRACE`` seconds. What is
still running then (a thread that ignores its stop, a task that swallows its
cancellation, a process that ignores SIGTERM until the SIGKILL) is answered with
the core's :class:`StillRunning`, and listed as TERMINATING until it ends. A
release may run on any thread: the kernel's main thread (re-run), a comm thread
(output cleared while another cell computes), the closing thread of ``close()``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import os
import signal
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.session import StillRunning

#: Seconds a release waits for what it stopped, before it reports it still running.
GRACE = 2.0
#: Methods that release an object, in the order they are looked for.
METHODS = ("close", "stop", "shutdown", "cancel", "terminate", "dispose")

Release = Callable[[], "StillRunning | None"]


def releaser(obj: object, close: object = None) -> tuple[str, Release]:
    """How ``obj`` will be released: (a few words for people, the release itself).

    TypeError, saying what to pass, if ``obj`` cannot be released.
    """
    loop = _running_loop()  # where an awaitable a release returns will be run
    if close is not None:
        if not callable(close):
            raise TypeError(
                f"close= must be a callable that releases the object, such as "
                f"event.set or server.stop, not {type(close).__name__}"
            )
        if isinstance(obj, threading.Thread):
            return "close=, then join", lambda: _stop_thread(obj, close, loop)
        return "close=", lambda: _call(close, loop)
    if isinstance(obj, asyncio.Future):
        return "cancel", lambda: _cancel_asyncio(obj)
    if isinstance(obj, concurrent.futures.Future):
        return "cancel", lambda: _cancel_future(obj)
    if isinstance(obj, threading.Thread):
        raise TypeError(
            "a thread cannot be stopped from outside: pass how to ask it to "
            "stop, such as own(thread, close=stop_event.set); it is then "
            "joined for up to 2 s"
        )
    if isinstance(obj, (subprocess.Popen, asyncio.subprocess.Process)):
        return "SIGTERM, then SIGKILL", lambda: _end_process(obj)
    if isinstance(obj, concurrent.futures.Executor):
        return "shutdown", lambda: obj.shutdown(wait=False, cancel_futures=True)
    if isinstance(obj, socketserver.BaseServer):
        return "shutdown", lambda: _shutdown_server(obj)
    if type(obj).__module__.startswith("matplotlib.animation") and hasattr(obj, "pause"):
        return "pause", lambda: _call(obj.pause, loop)
    for name in METHODS:
        method = getattr(obj, name, None)
        if callable(method):
            return f"{name}()", functools.partial(_call, method, loop)
    exit_ = getattr(obj, "__exit__", None)
    if callable(exit_) and callable(getattr(obj, "__enter__", None)):
        return "__exit__", functools.partial(
            _call, functools.partial(exit_, None, None, None), loop
        )
    raise TypeError(
        f"own() cannot release an object of type {type(obj).__name__}: it has none of "
        f"{', '.join(m + '()' for m in METHODS)} and is no context manager. "
        "Pass how to release it: own(obj, close=...)"
    )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no loop runs on this thread
        return None


def _call(fn: Callable[[], object], loop: asyncio.AbstractEventLoop | None) -> StillRunning | None:
    """Call ``fn``; an awaitable it returns (an async close) is run on ``loop``."""
    result = fn()
    if not inspect.isawaitable(result):
        return None
    if loop is None or loop.is_closed():
        with contextlib.suppress(AttributeError):
            result.close()  # type: ignore[attr-defined]  # a coroutine nobody will run
        raise RuntimeError(f"{fn!r} returned an awaitable, and no event loop is there to run it")
    future = asyncio.run_coroutine_threadsafe(_awaited(result), loop)
    if _running_loop() is not loop:
        with contextlib.suppress(concurrent.futures.TimeoutError):
            future.result(GRACE)
    return (
        None
        if future.done()
        else StillRunning("its async close has not finished", lambda: not future.done())
    )


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _stop_thread(
    thread: threading.Thread, close: Callable[[], object], loop: asyncio.AbstractEventLoop | None
) -> StillRunning | None:
    _call(close, loop)
    if thread is threading.current_thread() or not thread.is_alive():
        return None
    thread.join(GRACE)
    if not thread.is_alive():
        return None
    return StillRunning(f"thread {thread.name!r} ignores its stop", thread.is_alive)


def _cancel_asyncio(future: asyncio.Future[Any]) -> StillRunning | None:
    """Cancel on the future's own loop; wait for it there when that is another thread."""
    if future.done():
        return None
    loop = future.get_loop()
    if loop.is_running() and _running_loop() is not loop:
        ended = threading.Event()

        def cancel() -> None:  # on the future's loop: asyncio objects are not thread safe
            future.add_done_callback(lambda _: ended.set())
            future.cancel()

        loop.call_soon_threadsafe(cancel)
        ended.wait(GRACE)
    else:
        future.cancel()  # this thread runs its loop: it ends when the loop gets to it
    if future.done():
        return None
    return StillRunning(
        "cancelled, not ended yet (it may swallow CancelledError)", lambda: not future.done()
    )


def _cancel_future(future: concurrent.futures.Future[Any]) -> StillRunning | None:
    if future.cancel() or future.done():
        return None
    concurrent.futures.wait([future], GRACE)
    if future.done():
        return None
    return StillRunning(
        "running, and a running future cannot be cancelled", lambda: not future.done()
    )


def _end_process(
    process: subprocess.Popen[Any] | asyncio.subprocess.Process,
) -> StillRunning | None:
    """SIGTERM now, SIGKILL after the grace (from a timer thread), reaped.

    Waits a moment for a well-behaved process; one that ignores SIGTERM is left to
    the timer and reported still running, so no release blocks for the whole grace.
    """
    running = _running_check(process)
    if not running():
        return None
    group = _leads_group(process.pid)
    _signal(process.pid, signal.SIGTERM, group)
    if _waited(process, 0.2):
        return None
    killer = threading.Timer(GRACE, _kill, (process, group))
    killer.daemon = True
    killer.name = f"jupyter-sessions-kill-{process.pid}"
    killer.start()
    return StillRunning(
        f"pid {process.pid} ignores SIGTERM; SIGKILL {GRACE:.0f} s after it", running
    )


def _running_check(
    process: subprocess.Popen[Any] | asyncio.subprocess.Process,
) -> Callable[[], bool]:
    if isinstance(process, subprocess.Popen):
        return lambda: process.poll() is None
    return lambda: process.returncode is None  # asyncio's child watcher reaps it


def _waited(process: subprocess.Popen[Any] | asyncio.subprocess.Process, timeout: float) -> bool:
    """True once ``process`` ended within ``timeout`` s (reaped, for a Popen)."""
    if isinstance(process, subprocess.Popen):
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while process.returncode is None and time.monotonic() < deadline:
        time.sleep(0.01)  # asyncio's child watcher reaps it on a thread of its own
    return process.returncode is not None


def _kill(process: subprocess.Popen[Any] | asyncio.subprocess.Process, group: bool) -> None:
    if _running_check(process)():
        _signal(process.pid, signal.SIGKILL, group)
        _waited(process, GRACE)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _signal(pid: int, sig: signal.Signals, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone already
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _shutdown_server(server: socketserver.BaseServer) -> StillRunning | None:
    """``shutdown()`` waits for ``serve_forever`` to notice: bounded, on a helper thread."""
    stopper = threading.Thread(
        target=server.shutdown, name="jupyter-sessions-server-stop", daemon=True
    )
    stopper.start()
    stopper.join(GRACE)
    server.server_close()
    if not stopper.is_alive():
        return None
    return StillRunning("serve_forever() did not stop (was it ever started?)", stopper.is_alive)
