"""The shared PyMOL: PyMOL's own global instance, one holder at a time.

The shared PyMOL (``shared_pymol()``) is PyMOL's own global instance, which wizards
need (``cmd.wizard``, ``cmd.get_wizard()``): one holder at a time, first come first
served, scrubbed on entry and exit, released on exceptions, and a waiter that times
out gets PyMOLBusy, never the lock. It is started once and never stopped.

Threads: ``shared_pymol`` may be used from any thread; holders are served in the
order they asked.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from ..core.session import SessionError
from .commands import PyMOLCommands, PyMOLError
from .in_kernel import keeping_sigint, local_commands
from .worker import error_message, render_png, run_command

log = logging.getLogger(__name__)


class PyMOLBusy(PyMOLError, TimeoutError):
    """The shared PyMOL stayed in use longer than the wait allowed; the message says by whom."""


class SharedPyMOL:
    """What ``with shared_pymol() as pm`` gives: ``pm.cmd``, valid until the block ends."""

    def __init__(self, cmd: Any) -> None:
        self._module = cmd
        self._active = True
        self.cmd = PyMOLCommands(self)

    def _commands(self) -> frozenset[str]:
        self._check()
        return local_commands()

    def _call(self, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._check()
        try:
            if op == "png":
                return render_png(self._module, *args)
            return run_command(self._module, name, args, kwargs)
        except Exception as exc:
            raise PyMOLError(
                f"cmd.{name}() failed: {error_message(exc)}", name, type(exc).__name__
            ) from exc

    def _check(self) -> None:
        if not self._active:
            raise SessionError(
                "the shared PyMOL was released when its `with shared_pymol()` "
                "block ended; use pm.cmd inside the block"
            )

    def __repr__(self) -> str:
        return f"<SharedPyMOL {'held' if self._active else 'released'}>"


class _FairLock:
    """A lock granted in the order it was asked for, that knows who holds it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: collections.deque[object] = collections.deque()
        self._holder: threading.Thread | None = None
        self._since = 0.0

    def acquire(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for our turn; PyMOLBusy if it does not come."""
        me = threading.current_thread()
        with self._cond:
            if self._holder is me:
                raise SessionError(
                    "this thread already holds the shared PyMOL; a nested "
                    "`with shared_pymol()` would wait for itself"
                )
            ticket = object()
            self._queue.append(ticket)
            try:
                mine = self._cond.wait_for(
                    lambda: self._holder is None and self._queue[0] is ticket, timeout
                )
            except BaseException:
                self._leave(ticket)
                raise
            if not mine:
                self._leave(ticket)
                holder = self._holder.name if self._holder else "nobody (just released)"
                held = time.monotonic() - self._since
                raise PyMOLBusy(
                    f"the shared PyMOL was not free within {timeout} s: thread "
                    f"{holder!r} has held it for {held:.1f} s. Wait longer "
                    "(shared_pymol(timeout=...)), or use a PyMOLSession, "
                    "which needs no lock"
                )
            self._queue.popleft()
            self._holder, self._since = me, time.monotonic()

    def release(self) -> None:
        with self._cond:
            self._holder = None
            self._cond.notify_all()

    def _leave(self, ticket: object) -> None:
        self._queue.remove(ticket)
        self._cond.notify_all()  # the next in line may be free to go now


_shared_lock = _FairLock()
_shared_start = threading.Lock()
_shared_cmd: Any = None


def _shared() -> Any:
    """PyMOL's global ``cmd``, its instance started once (or adopted if already started)."""
    global _shared_cmd
    with _shared_start:
        if _shared_cmd is None:
            import pymol

            if pymol.cmd._COb is None:
                import pymol2

                pymol.invocation.options.show_splash = 0
                with keeping_sigint():
                    pymol2.SingletonPyMOL().start()  # never stopped: a second stop crashes
            _shared_cmd = pymol.cmd
        return _shared_cmd


def _scrub_shared(cmd: Any) -> None:
    import pymol

    cmd.reinitialize()  # also ends any wizard
    vars(pymol.stored).clear()


@contextlib.contextmanager
def shared_pymol(timeout: float = 60.0) -> Iterator[SharedPyMOL]:
    """Exclusive use of the one shared, in-process PyMOL, for wizards and the like.

    ``with shared_pymol() as pm: pm.cmd.wizard("mutagenesis") ...``. Threads get it
    in the order they asked; it is empty on entry and emptied on exit, however the
    block ends. Waits at most ``timeout`` seconds, then raises PyMOLBusy naming the
    holder, which keeps it. Not isolated: a native crash here ends the process.
    """
    _shared_lock.acquire(timeout)
    try:
        cmd = _shared()
        _scrub_shared(cmd)
        handle = SharedPyMOL(cmd)
        try:
            yield handle
        finally:
            handle._active = False
            try:
                _scrub_shared(cmd)
            except Exception:
                log.warning("Could not empty the shared PyMOL after use", exc_info=True)
    finally:
        _shared_lock.release()
