"""PyMOL inside the kernel's own process, for ``PyMOLSession(isolated=False)``.

pymol2's lifecycle can kill the process: ``stop()`` twice, or any command before
``start()`` or after ``stop()``, is a SIGSEGV; and every instance started and stopped
leaks about 40 KB of native memory (measured here; the seed saw a creep too). So
an in-process PyMOL (``Local``) is started once, stopped at most once, refuses any
command after that, and is *reused*: when its session closes it is scrubbed
(``reinitialize`` plus PyMOL's Python-side state) and kept for the next session, if
it then looks exactly like a fresh one. Otherwise, or when ``KEEP`` already wait, it
is stopped (once). Nothing here imports PyMOL until it is used.

Threads: ``take`` and ``give_back`` may be used from any thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

from ..core.session import SessionError
from .worker import command_names, render_png, run_command

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
        with keeping_sigint():
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
        return (
            cmd.get_names("all"),
            cmd.get_scene_list(),
            cmd.get_wizard() is None,
            dict(cmd.keyword),
            dict(cmd.key_mappings),
            dict(vars(self._pymol.stored)),
        )


@contextlib.contextmanager
def keeping_sigint() -> Iterator[None]:
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
    # One start at a time: a second one saving while the first PyMOL's handler is in
    # place would put that handler back last.
    with _sigint_lock:
        kept = hasattr(libc, "sigaction") and libc.sigaction(signal.SIGINT, None, saved) == 0
        try:
            yield
        finally:
            if kept:
                libc.sigaction(signal.SIGINT, saved, None)


_sigint_lock = threading.Lock()


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
