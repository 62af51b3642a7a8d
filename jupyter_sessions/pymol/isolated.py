"""The kernel's handle on PyMOL worker processes (the worker itself: ``worker.py``).

A worker is a fresh interpreter (``subprocess.Popen`` of ``worker.py``, never a
fork of the kernel) joined to the kernel by one duplex ``multiprocessing.Pipe``; a
second, one-way pipe whose write end only the worker holds is its *sentinel*: it
reads as closed the moment the worker ends, however it ends.

Why not ``multiprocessing.Process``: its spawn context starts multiprocessing's
resource tracker, a child of the kernel that ignores SIGTERM and is never reaped,
and ipykernel's shutdown signals every child in its process group and waits for
them: about 29 s per shutdown or restart (or a SIGKILL from Jupyter Server after
5 s). A worker here also runs in its own session (``start_new_session``), so neither
that sweep nor the kernel's interrupt (SIGINT to the kernel's process group) reaches
it: the kernel closes its sessions itself at exit, and a worker whose kernel died
exits by itself (see ``worker.py``).

Threads: ``Worker.call`` may be called from any thread; one call runs at a time per
worker, the others wait their turn. ``Worker.stop`` may run on any thread, even
while a call waits: it then kills the worker and the waiting call sees it die. The
``Reaper`` runs one daemon thread (``jupyter-sessions-pymol-reaper``), only while
workers live, that reports a worker's death at once, even while no call runs.

Every wait has a timeout, and every wait on a worker also waits on its sentinel, so
a dead worker is noticed at once, never after the timeout.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from ..core.callbacks import call_logged
from . import worker as worker_script

# Python >= 3.11: do not put the package's folder first on the worker's sys.path,
# where its modules could shadow others before the worker takes the kernel's path.
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []


class WorkerDied(Exception):
    """The worker process ended; the message says how (signal or exit code)."""


class WorkerTimeout(Exception):
    """The worker did not answer in time; it may still be busy."""


class CommandFailed(Exception):
    """A command failed (or could not be sent); the worker lives on."""

    def __init__(self, type_name: str, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.remote_traceback = remote_traceback


def exit_reason(exitcode: int | None) -> str:
    """How a process ended, in words: 'was killed by SIGSEGV (signal 11)'."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by {name} (signal {-exitcode})"
    return f"exited with code {exitcode}"


class Worker:
    """The kernel's handle on one worker process; thread safe.

    Created on the thread that opens the session. If the worker cannot start,
    ``__init__`` raises WorkerDied, WorkerTimeout or CommandFailed, with the process
    already gone.
    """

    def __init__(self, startup_timeout: float) -> None:
        if not sys.executable:
            raise CommandFailed(
                "StartupError",
                "no Python executable to start a worker with "
                "(sys.executable is empty); use PyMOLSession(isolated=False)",
            )
        self._conn, child = multiprocessing.Pipe()
        self._lock = threading.Lock()  # one request in flight at a time
        self._seq = 0
        self.commands: frozenset[str] = frozenset()
        self.sentinel, sentinel_w = os.pipe()
        weakref.finalize(self, os.close, self.sentinel)  # when nobody can wait on it any more
        try:
            self.process = subprocess.Popen(
                [sys.executable, *_SAFE_PATH, worker_script.__file__, str(child.fileno())],
                pass_fds=(child.fileno(), sentinel_w),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # out of the kernel's process group: see above
            )
        finally:
            child.close()  # only the worker holds these ends now
            os.close(sentinel_w)
        self.pid = self.process.pid
        try:
            self._conn.send(sys.path)  # find PyMOL where the kernel finds it
            self._handshake(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def _handshake(self, timeout: float) -> None:
        ready = wait([self._conn, self.sentinel], timeout)
        if not ready:
            raise WorkerTimeout(f"the PyMOL worker did not start within {timeout} s")
        try:
            message = self._conn.recv()
        except (EOFError, OSError):
            raise WorkerDied(f"the PyMOL worker {self.exit_reason()} while starting") from None
        if message[0] != "ready":
            raise CommandFailed("StartupError", f"PyMOL could not start: {message[1]}")
        self.commands = frozenset(message[2])

    def call(
        self, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float
    ) -> Any:
        """Run one request and return its result; waits at most ``timeout`` seconds.

        Raises CommandFailed (the worker lives on), WorkerDied or WorkerTimeout.
        """
        with self._lock:
            self._seq += 1
            seq = self._seq
            try:
                self._conn.send((seq, op, name, args, kwargs, os.getcwd()))
            except OSError:
                raise WorkerDied(self.exit_reason()) from None
            except Exception as exc:  # pickling failed: nothing was sent
                raise CommandFailed(
                    type(exc).__name__,
                    f"the arguments cannot be sent to the PyMOL worker ({exc}); pass plain data",
                ) from None
            return self._reply(seq, time.monotonic() + timeout, timeout)

    def _reply(self, seq: int, deadline: float, timeout: float) -> Any:
        while True:
            left = deadline - time.monotonic()
            ready = wait([self._conn, self.sentinel], max(left, 0))
            if not ready:
                raise WorkerTimeout(f"no answer within {timeout} s")
            if self._conn not in ready:  # it died without a word
                raise WorkerDied(self.exit_reason())
            try:
                got, ok, payload = self._conn.recv()
            except (EOFError, OSError):
                raise WorkerDied(self.exit_reason()) from None
            except Exception as exc:
                raise CommandFailed(
                    type(exc).__name__, f"the result cannot be read in the kernel ({exc})"
                ) from None
            if got is not None and got != seq:
                continue  # the late answer to an interrupted call
            if ok:
                return payload
            raise CommandFailed(*payload)

    def exit_reason(self) -> str:
        """How the worker ended ('was killed by SIGKILL (signal 9)'); waits up to 1 s."""
        return exit_reason(self._join(1.0))

    def stop(self, grace: float = 1.0) -> None:
        """End the worker: by closing the pipe if no call runs, else by SIGKILL. Any thread."""
        if self._lock.acquire(timeout=0.05):
            try:
                self._conn.close()  # EOF: the worker exits at once
            finally:
                self._lock.release()
            self._join(grace)
        if self._join(0) is None:
            self.process.kill()
            self._join(grace)
        if self._lock.acquire(timeout=grace):  # a call waiting on the killed worker returns
            try:
                self._conn.close()
            finally:
                self._lock.release()

    def _join(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for the worker to end; its exit code, None if alive."""
        if wait([self.sentinel], timeout):
            with contextlib.suppress(subprocess.TimeoutExpired):
                # The sentinel closes as the process exits; being reaped follows at once.
                self.process.wait(timeout=max(timeout, 1.0))
        return self.process.poll()


class Reaper:
    """Calls ``on_death(worker)`` on its own thread as soon as a watched worker dies.

    The thread runs only while there are workers to watch. It holds the workers it
    waits on, so their sentinels (closed when a worker is garbage) stay open meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[Worker, Callable[[Worker], None]] = {}
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)  # a full pipe already means "wake up"

    def watch(self, worker: Worker, on_death: Callable[[Worker], None]) -> None:
        """Report ``worker``'s death (any thread)."""
        with self._lock:
            self._watched[worker] = on_death
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="jupyter-sessions-pymol-reaper"
                )
                self._thread.start()
        self._wake()

    def unwatch(self, worker: Worker) -> None:
        """Stop watching ``worker`` (before stopping it on purpose)."""
        with self._lock:
            self._watched.pop(worker, None)
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b".")

    def _run(self) -> None:
        while True:
            with self._lock:
                workers = list(self._watched)
                if not workers:
                    self._thread = None
                    return
            ready = wait([w.sentinel for w in workers] + [self._wake_r], 5.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            for worker in workers:
                if worker.sentinel in ready:
                    with self._lock:
                        on_death = self._watched.pop(worker, None)
                    if on_death is not None:
                        what = f"Reporting the death of PyMOL worker {worker.pid}"
                        call_logged(on_death, worker, what=what)
