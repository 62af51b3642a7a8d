"""PyMOL inside the kernel's own process: in-process sessions and the shared PyMOL.

pymol2's lifecycle can kill the process: ``stop()`` twice, or any command before
``start()`` or after ``stop()``, is a SIGSEGV; and every instance started and stopped
leaks about 40 KB of native memory (measured here; the seed saw a creep too). So
an in-process PyMOL (``Local``) is started once, stopped at most once, refuses any
command after that, and is *reused*: when its session closes it is scrubbed
(``reinitialize`` plus PyMOL's Python-side state) and kept for the next session, if
it then looks exactly like a fresh one. Otherwise, or when ``KEEP`` already wait, it
is stopped (once). Nothing here imports PyMOL until it is used.

The shared PyMOL (``shared_pymol()``) is PyMOL's own global instance, which wizards
need (``cmd.wizard``, ``cmd.get_wizard()``): one holder at a time, first come first
served, scrubbed on entry and exit, released on exceptions, and a waiter that times
out gets PyMOLBusy, never the lock. It is started once and never stopped.

Threads: ``take``/``give_back`` and ``shared_pymol`` may be used from any thread.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from .pymol_session import PyMOLCommands, PyMOLError
from .pymol_worker import command_names, error_message, render_png, run_command
from .session import SessionError

log = logging.getLogger(__name__)

KEEP = 4  # idle in-process PyMOLs kept for reuse (a started PyMOL holds ~2 MB)

_idle: list[Local] = []
_idle_lock = threading.Lock()
_commands: frozenset[str] | None = None


class Local:
    """One in-process pymol2 PyMOL: started once, stopped at most once, never used after.

    Not thread safe by itself: its session runs one command at a time.
    """

    def __init__(self) -> None:
        import pymol2

        self._pymol = pymol2.PyMOL()
        with _keeping_sigint():
            self._pymol.start()
        self._stopped = False
        self._fresh = self._fingerprint()

    def run(self, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one command (op "cmd") or render the scene (op "png")."""
        if self._stopped:  # pymol2 would segfault: never reach native code
            raise SessionError("this in-process PyMOL was stopped; open a new PyMOLSession")
        if op == "png":
            return render_png(self._pymol.cmd, *args)
        return run_command(self._pymol.cmd, name, args, kwargs)

    def scrub(self) -> bool:
        """Reset to a fresh state; True if nothing of the previous user is left."""
        cmd = self._pymol.cmd
        cmd.reinitialize()  # objects, selections, settings, colours, views, scenes, wizard
        vars(self._pymol.stored).clear()
        vars(self._pymol.session).clear()
        self._pymol._view_dict.clear()
        return self._fingerprint() == self._fresh

    def stop(self) -> None:
        """Stop PyMOL; only the first call does anything."""
        if not self._stopped:
            self._stopped = True
            self._pymol.stop()

    def _fingerprint(self) -> tuple[Any, ...]:
        # What reinitialize leaves alone: commands added with cmd.extend or cmd.alias,
        # keys bound with cmd.set_key. An instance that changed them is not reused.
        cmd = self._pymol.cmd
        return (cmd.get_names("all"), cmd.get_scene_list(), cmd.get_wizard() is None,
                dict(cmd.keyword), dict(cmd.key_mappings), dict(vars(self._pymol.stored)))


@contextlib.contextmanager
def _keeping_sigint() -> Iterator[None]:
    """Undo what PyMOL's ``start()`` does to SIGINT (any thread).

    PyMOL installs its own C handler for SIGINT, which ends the process: in a kernel,
    the interrupt button would then kill the kernel. The previous handler is saved
    and put back as opaque bytes, which works on any thread (``signal.signal`` only
    works on the main one).
    """
    libc: Any = None
    with contextlib.suppress(OSError, TypeError):  # no C library to ask (Windows)
        libc = ctypes.CDLL(None)
    saved = ctypes.create_string_buffer(1024)  # larger than any struct sigaction
    kept = hasattr(libc, "sigaction") and libc.sigaction(signal.SIGINT, None, saved) == 0
    try:
        yield
    finally:
        if kept:
            libc.sigaction(signal.SIGINT, saved, None)


def take() -> Local:
    """A started in-process PyMOL for a new session: an idle one, or a new one."""
    with _idle_lock:
        if _idle:
            return _idle.pop()
    return Local()


def give_back(local: Local) -> None:
    """A session is done with ``local`` (no command runs on it): keep it or stop it."""
    try:
        clean = local.scrub()
    except Exception:
        # A PyMOL that cannot reset may not stop safely either: drop it as it is.
        log.warning("Could not reset an in-process PyMOL; dropping it", exc_info=True)
        return
    with _idle_lock:
        if clean and len(_idle) < KEEP:
            _idle.append(local)
            return
    local.stop()


def local_commands() -> frozenset[str]:
    """The commands of an in-process PyMOL (those of ``pymol.cmd``)."""
    global _commands
    if _commands is None:
        from pymol import cmd

        _commands = frozenset(command_names(cmd))
    return _commands


# -- the shared PyMOL ----------------------------------------------------------------


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
            raise PyMOLError(f"cmd.{name}() failed: {error_message(exc)}", name,
                             type(exc).__name__) from exc

    def _check(self) -> None:
        if not self._active:
            raise SessionError("the shared PyMOL was released when its `with shared_pymol()` "
                               "block ended; use pm.cmd inside the block")

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
                raise SessionError("this thread already holds the shared PyMOL; a nested "
                                   "`with shared_pymol()` would wait for itself")
            ticket = object()
            self._queue.append(ticket)
            try:
                mine = self._cond.wait_for(
                    lambda: self._holder is None and self._queue[0] is ticket, timeout)
            except BaseException:
                self._leave(ticket)
                raise
            if not mine:
                self._leave(ticket)
                holder = self._holder.name if self._holder else "nobody (just released)"
                held = time.monotonic() - self._since
                raise PyMOLBusy(f"the shared PyMOL was not free within {timeout} s: thread "
                                f"{holder!r} has held it for {held:.1f} s. Wait longer "
                                "(shared_pymol(timeout=...)), or use a PyMOLSession, "
                                "which needs no lock")
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
                with _keeping_sigint():
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
