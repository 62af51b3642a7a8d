"""PyMOLSession: a PyMOL owned by a cell, in its own worker process by default.

pymol2 can kill its process: ``stop()`` twice, or any command before ``start()`` or
after ``stop()``, is a SIGSEGV (DESIGN.md), and in a kernel that takes every cell and
session with it. So by default each session's PyMOL runs in its own spawned worker
(``worker.py``, ``isolated.py``): a native crash kills that worker only, the
cell gets a PyMOLCrashed naming the signal, the session goes CRASHED, and
``restart()`` brings it back empty. ``PyMOLSession(isolated=False)`` runs PyMOL in
the kernel for speed (``in_kernel.py``), guarded so that no lifecycle misuse reaches
native code.

Threads: every public method may be called from any thread. Each session runs one
command at a time (others wait their turn); different sessions run in parallel.
Closing (any thread) waits for an in-process command to finish, and kills a worker
whose command is still running.
"""

from __future__ import annotations

import base64
import html
import logging
import threading
from typing import Any

from ..core import output
from ..core.session import Session, SessionError, SessionState
from . import in_kernel
from .commands import PyMOLCommands, PyMOLCrashed, PyMOLError
from .in_kernel import Local
from .isolated import CommandFailed, Reaper, Worker, WorkerDied, WorkerTimeout
from .worker import error_message

log = logging.getLogger(__name__)

_reaper = Reaper()


class PyMOLSession(Session):
    """A PyMOL in a cell: ``s = open_session(PyMOLSession())``, then ``s.cmd.load(path)``.

    ``isolated`` (default True): PyMOL runs in the session's own worker process. False:
    in the kernel, faster, but a native crash would end the kernel. ``timeout``:
    seconds a command may take before an isolated worker is declared hung and
    stopped. ``startup_timeout``: seconds for a worker to start.
    """

    kind = "pymol"

    def __init__(
        self, isolated: bool = True, *, timeout: float = 120.0, startup_timeout: float = 30.0
    ) -> None:
        if not timeout > 0 or not startup_timeout > 0:
            raise ValueError("timeout and startup_timeout must be positive numbers of seconds")
        self.isolated = bool(isolated)
        self.timeout = float(timeout)
        self.startup_timeout = float(startup_timeout)
        self.cmd = PyMOLCommands(self)
        self._worker: Worker | None = None
        self._local: Local | None = None
        # Guards which PyMOL the session uses. In-process: held for each command, so
        # close waits for it. Isolated: held while a worker is set or declared dead, so
        # a late death report never hits the next worker (restart).
        self._lock = threading.RLock()

    @property
    def pid(self) -> int | None:
        """The worker process's id while an isolated session runs, else None."""
        worker = self._worker
        return worker.pid if worker is not None else None

    def restart(self) -> None:
        """Replace the session's PyMOL by a fresh, empty one (after a crash, say).

        Same id, same owning cell; whatever was loaded is gone. Raises like opening
        does if the new PyMOL cannot start; SessionError once the session is closed.
        """
        self._restart()

    def image(self, width: int = 640, height: int = 480, *, ray: bool = True) -> bytes:
        """The current scene as PNG bytes, ray traced (PyMOL has no display here)."""
        return bytes(self._call("png", "image", (int(width), int(height), bool(ray)), {}))

    def show(self, width: int = 640, height: int = 480, *, ray: bool = True) -> None:
        """Display the current scene in the running cell, as a ray-traced PNG.

        The output carries the project's mime type with this session's id, so the
        frontend extension treats it like the session's own output, and it turns
        into the "closed" note when the session closes. Raises like any command
        (PyMOLError, PyMOLCrashed).
        """
        width, height = int(width), int(height)
        encoded = base64.b64encode(self.image(width, height, ray=ray)).decode("ascii")
        bundle = output.bundle(self)
        bundle[output.MIME_TYPE]["view"]["image"] = "image/png"
        bundle["image/png"] = encoded
        alt = html.escape(f"PyMOL scene of session {self.id}")
        bundle["text/html"] = (
            f'<img src="data:image/png;base64,{encoded}" width="{width}" '
            f'height="{height}" alt="{alt}">'
        )
        output.show_more(self, bundle)

    # -- lifecycle -------------------------------------------------------------

    def _start(self) -> None:
        if not self.isolated:
            self._local = in_kernel.take()
            self._defer(self._give_back, self._local)
            return
        try:
            worker = Worker(self.startup_timeout)
        except (WorkerDied, WorkerTimeout, CommandFailed, OSError) as exc:
            raise PyMOLError(f"the PyMOL worker could not start: {exc}") from None
        with self._lock:
            self._worker = worker
        self._defer(self._stop_worker, worker)
        _reaper.watch(worker, self._worker_died)

    def _stop_worker(self, worker: Worker) -> None:
        if self._worker is worker:
            self._worker = None
        _reaper.unwatch(worker)
        worker.stop()

    def _worker_died(self, worker: Worker) -> None:
        """Reaper thread: the worker died between or during commands."""
        self._worker_ended(
            worker,
            SessionState.CRASHED,
            f"the PyMOL worker (pid {worker.pid}) {worker.exit_reason()}",
        )

    def _give_back(self, local: Local) -> None:
        # A command still running keeps its PyMOL: never reset or stop it under a call.
        if not self._lock.acquire(timeout=5.0):
            self._local = None
            log.warning(
                "PyMOL session %s closed while a command ran; its in-process PyMOL "
                "is dropped, not reused",
                self.id,
            )
            return
        try:
            if self._local is local:
                self._local = None
        finally:
            self._lock.release()
        in_kernel.give_back(local)

    def _view(self) -> tuple[dict[str, Any], str]:
        pid = self.pid
        where = f"worker process {pid}" if pid else "the kernel's process"
        fallback = (
            f"<div><b>PyMOL</b> session {html.escape(str(self.id))} in {where}: "
            "<code>s.cmd</code> runs PyMOL commands, <code>s.show()</code> draws "
            "the scene here.</div>"
        )
        return {"isolated": self.isolated, "pid": pid}, fallback

    def _info(self) -> dict[str, Any]:
        return {"isolated": self.isolated, "pid": self.pid, "timeout": self.timeout}

    # -- commands --------------------------------------------------------------

    def _commands(self) -> frozenset[str]:
        self._ensure_running()
        worker = self._worker
        if worker is not None:
            return worker.commands
        return in_kernel.local_commands()

    def _call(self, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        label = f"cmd.{name}()" if op == "cmd" else f"{name}()"
        if not self.isolated:
            return self._call_local(label, op, name, args, kwargs)
        self._ensure_running()
        worker = self._worker
        if worker is None:
            raise SessionError(f"{self!r} is closed; open a new PyMOLSession")
        try:
            return worker.call(op, name, args, kwargs, self.timeout)
        except CommandFailed as exc:
            raise PyMOLError(
                f"{label} failed: {exc.message}", name, exc.type_name, exc.remote_traceback
            ) from None
        except WorkerDied as exc:
            self._worker_ended(
                worker, SessionState.CRASHED, f"the PyMOL worker (pid {worker.pid}) {exc}"
            )
        except WorkerTimeout:
            self._worker_ended(
                worker,
                SessionState.FAILED,
                f"{label} did not answer within "
                f"{self.timeout} s, so its worker (pid {worker.pid}) was stopped",
            )
        raise self._gone(label)

    def _call_local(
        self, label: str, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        with self._lock:
            self._ensure_running()
            local = self._local
            if local is None:
                raise SessionError(f"{self!r} is closed; open a new PyMOLSession")
            try:
                return local.run(op, name, args, kwargs)
            except SessionError:
                raise
            except Exception as exc:
                raise PyMOLError(
                    f"{label} failed: {error_message(exc)}", name, type(exc).__name__
                ) from exc

    def _ended_error(self) -> SessionError:
        return PyMOLCrashed(
            f"{self!r} is not running ({self.error}); s.restart() starts a fresh, empty PyMOL"
        )

    def _worker_ended(self, worker: Worker, state: SessionState, error: str) -> None:
        """End the session because ``worker`` died or hung, unless it moved on already."""
        with self._lock:
            if self._worker is worker:
                self._end(state, error)

    def _gone(self, label: str) -> SessionError:
        if self.id is None or self.closed:
            return SessionError(f"{self!r} was closed while {label} ran")
        return PyMOLCrashed(
            f"{label} ended the session: {self.error}. The session is "
            f"{self.state.value}; the kernel and other sessions are fine. "
            "s.restart() starts a fresh, empty PyMOL."
        )
