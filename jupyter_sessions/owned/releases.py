"""How each kind of object is released when its cell lets it go.

:func:`releaser` decides once, when the object is owned, so bad input fails in
the cell that owns it (TypeError, saying what to pass), never later at release.
The order, first match wins:

1. ``close=`` given: that callable, always (for a thread: then a bounded join);
2. ``asyncio.Task`` / ``Future``: cancelled on its own loop (thread safe), awaited
   there up to the grace when that loop runs on another thread;
3. ``concurrent.futures.Future``: cancelled; a running one is waited for;
4. ``threading.Thread``: cannot be stopped from outside: ``close=`` is required;
5. ``subprocess.Popen``, asyncio's ``Process``, ``multiprocessing.Process``: SIGTERM
   to it and its whole tree (its group too, when it leads one), SIGKILL after the
   grace, reaped (``processes.py``); a ``multiprocessing.Pool``: ``terminate()``;
6. ``concurrent.futures.Executor``: ``shutdown(wait=False, cancel_futures=True)``;
7. ``socketserver`` servers (``http.server``): ``shutdown()`` (bounded: it waits
   for ``serve_forever``), then ``server_close()``;
8. matplotlib animations: ``pause()`` (their timer stops); figures: ``pyplot.close``;
   uvicorn servers: ``should_exit`` (what their ``serve()`` polls);
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
import multiprocessing.pool
import multiprocessing.process
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..core.session import StillRunning
from . import processes

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
        return "SIGTERM, then SIGKILL, its whole tree", lambda: _end_process(obj)
    if isinstance(obj, multiprocessing.process.BaseProcess):
        return "SIGTERM, then SIGKILL, its whole tree", lambda: _end_mp_process(obj)
    if isinstance(obj, multiprocessing.pool.Pool):
        return "terminate()", obj.terminate
    if isinstance(obj, concurrent.futures.Executor):
        return "shutdown", lambda: obj.shutdown(wait=False, cancel_futures=True)
    if isinstance(obj, socketserver.BaseServer):
        return "shutdown", lambda: _shutdown_server(obj)
    module = type(obj).__module__
    if module.startswith("matplotlib.animation") and hasattr(obj, "pause"):
        return "pause", lambda: _call(obj.pause, loop)
    if module == "matplotlib.figure" and hasattr(obj, "number"):
        return "pyplot.close", lambda: _close_figure(obj)
    if module == "uvicorn.server":  # serve() polls should_exit; it has no stop method
        return "should_exit", lambda: setattr(obj, "should_exit", True)
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
    """The process and every process it started (``processes.py``), reaped.

    One that ended already is left alone: its pid may be another process's by now.
    """
    if isinstance(process, subprocess.Popen):
        if process.poll() is not None:
            return None
        return processes.end_tree(process.pid, functools.partial(_popen_waited, process))
    if process.returncode is not None:
        return None
    return processes.end_tree(
        process.pid, processes.poll_waited(lambda: process.returncode is None)
    )


def _popen_waited(process: subprocess.Popen[Any], timeout: float) -> bool:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _end_mp_process(process: multiprocessing.process.BaseProcess) -> StillRunning | None:
    """A multiprocessing process and its tree; ``join`` reaps it (and keeps it knowing)."""
    pid = process.pid
    if pid is None or not process.is_alive():  # never started, or ended (its pid reusable)
        return None

    def waited(timeout: float) -> bool:
        process.join(timeout)
        return not process.is_alive()

    return processes.end_tree(pid, waited)


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


def _close_figure(figure: Any) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)


def captured_releaser(obj: object) -> tuple[str, Release]:
    """How capture releases ``obj``: as :func:`releaser`, but a thread needs no ``close=``.

    A thread of a class with a way to stop it (Panel's ``StoppableThread.stop``,
    ``threading.Timer.cancel``) is stopped that way, then joined; a plain thread
    cannot be stopped from outside, so its release only says it still runs: it is
    listed until it ends, never killed.
    """
    if not isinstance(obj, threading.Thread):
        return releaser(obj)
    for name in METHODS:
        method = getattr(type(obj), name, None)
        if callable(method) and getattr(threading.Thread, name, None) is None:
            stop = getattr(obj, name)
            return f"{name}(), then join", functools.partial(_stop_thread, obj, stop, None)
    return "none: a thread cannot be stopped", lambda: _unstoppable(obj)


def _unstoppable(thread: threading.Thread) -> StillRunning | None:
    if not thread.is_alive():
        return None
    return StillRunning(f"thread {thread.name!r} has no way to stop it", thread.is_alive)
