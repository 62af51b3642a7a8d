"""A daemon thread running an asyncio loop, and the one way other threads reach it.

The embedded Bokeh server lives on such a thread (``embedded.py`` says why). This
is the hand-over alone: start and stop the thread, run a function there and wait
for its result (:meth:`ServerThread.call`) or not (``call_soon``, ``spawn``). The
tasks it runs are held here, the one set of them: ``_drain`` waits for them, and
what is left when the loop ends is cancelled. What the loop serves is the
subclass's: ``_serve`` runs before the thread counts as started (an error there
fails :meth:`ServerThread.start`), ``_shutdown`` ends the loop, and ``_served``
runs on the thread once it has.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ...core.callbacks import call_logged
from ...core.session import SessionError

log = logging.getLogger(__name__)

T = TypeVar("T")


class ServerThread:
    """A loop on a daemon thread of its own; ``label`` names it in errors."""

    label = "the server"

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # strong references while they run

    @property
    def running(self) -> bool:
        """True while the thread serves."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread if it is not running; raise what ``_serve`` raised."""
        if self.running:
            return
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name=self._thread_name, daemon=True
        )
        self._thread.start()
        try:
            ready.result(timeout)
        except concurrent.futures.TimeoutError:
            raise SessionError(f"{self.label} did not start within {timeout} s") from None

    def stop(self, timeout: float = 5.0) -> None:
        """Run ``_shutdown`` on the thread and wait for it to end; safe to call again."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._shutdown()))
        thread.join(timeout)
        if thread.is_alive():
            log.warning("The %s thread did not end within %s s", self._thread_name, timeout)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run ``fn(*args)`` on the thread and return its result.

        Called on the thread itself, runs it at once. Raises what ``fn`` raised, or
        SessionError if the thread did not answer within ``timeout``.
        """
        if threading.current_thread() is self._thread:
            return fn(*args)
        loop = self._loop
        if loop is None or not self.running:
            raise SessionError(f"{self.label} is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise SessionError(f"{self.label} did not answer within {timeout} s") from None

    def call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` on the thread soon, without waiting (any thread).

        Dropped on a stopped thread (what ``fn`` would act on went with it); an
        exception is logged.
        """
        loop = self._loop
        try:
            if loop is None or not self.running:
                raise RuntimeError("stopped")
            loop.call_soon_threadsafe(call_logged, fn, *args)
        except RuntimeError:  # stopped, or its loop closed meanwhile
            log.debug("%s stopped: %r dropped", self.label, fn)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` on the thread soon (any thread); it logs its own errors.

        On a stopped thread it is dropped unstarted: what it would serve (a view's
        connection, a page's message) went with the server.
        """
        loop = self._loop
        try:
            if loop is None or not self.running:
                raise RuntimeError("stopped")
            loop.call_soon_threadsafe(self._spawn, coroutine)
        except RuntimeError:  # stopped, or its loop closed meanwhile
            coroutine.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` as one of the thread's tasks (on the thread)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) for the tasks under way (on the thread)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    def _aloop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise SessionError(f"{self.label} is not running")
        return self._loop

    # -- the thread ------------------------------------------------------------

    async def _serve(self) -> None:
        """Set up what the loop serves (on the thread, before ``start`` returns)."""

    async def _shutdown(self) -> None:
        """End what the loop serves, then the loop (on the thread)."""
        asyncio.get_running_loop().stop()

    def _served(self) -> None:
        """Undo what ``_serve`` set up outside the loop (on the thread, at its end)."""

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        self._loop = loop
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            for task in list(self._tasks):  # nothing of ours outlives the loop
                task.cancel()
            self._served()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None
