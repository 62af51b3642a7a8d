"""Job: a task that launches a subprocess and watches it (after ChimeraX's jobs).

``j = open_session(Job(["python", "simulate.py"]))`` starts the command in a
process group of its own and watches it from the task's thread: its exit is
noticed at once (the thread waits on the process), and between waits
``monitor()`` runs on a back-off schedule, ``next_check()``, for a subclass to
read progress files and call ``self.progress``. A non-zero exit ends FAILED with
the tail of the job's stderr.

Stopping (re-run, clear, delete, close, kernel exit) sends SIGTERM to the whole
process group, so the job's children go too, and SIGKILL after
``terminate_grace`` seconds. Children that leave the group (``setsid``) escape.
The kill is deferred the moment the process exists, from the task's thread: a
close that came first runs it at once (the core's rule), so no process escapes a
close that races its launch. A kernel killed outright (SIGKILL, the OOM killer)
runs no teardown: its guardian process (``guardian.py``) kills the group then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any, ClassVar

from ..core.session import SessionError
from . import guardian
from .task import Task

log = logging.getLogger(__name__)

# How much of a job's stdout and stderr is kept once it ends.
OUTPUT_TAIL_BYTES = 1 << 20


class JobError(SessionError):
    """The job's process failed: it could not start, or it exited with an error."""


class Job(Task):
    """A subprocess owned by a cell. Pass the command, or override :meth:`launch`.

    ``command``: the argv list (no shell). ``cwd``/``env``: as for ``subprocess``.
    After it ends, ``returncode``, ``stdout`` and ``stderr`` (their last MiB) say
    what happened; ``result`` is the return code.
    """

    kind: ClassVar[str] = "job"
    #: First and longest wait between two ``monitor()`` calls, in seconds.
    first_check: ClassVar[float] = 0.05
    max_check: ClassVar[float] = 5.0

    command: list[str] | None = None
    cwd: str | None = None
    env: dict[str, str] | None = None
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    _checks: int = 0
    _process: subprocess.Popen[bytes] | None = None
    _files: tuple[IO[bytes], IO[bytes]] | None = None

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(command, (str, bytes)):
            raise TypeError(
                "command is an argv list such as ['python', 'run.py'], "
                "not a string (no shell is used)"
            )
        self.command = [os.fspath(part) for part in command] if command is not None else None
        self.cwd = cwd
        self.env = dict(env) if env is not None else None

    # -- to override -------------------------------------------------------------

    def launch(self, stdout: IO[bytes], stderr: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start the job's process writing to ``stdout``/``stderr``; must start a new session.

        The default runs ``command``. An override must pass ``start_new_session=True``
        so that stopping the job can kill its whole process group.
        """
        if not self.command:
            raise JobError(f"{type(self).__name__} has no command: pass one, or override launch()")
        return subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )

    def monitor(self) -> None:
        """Check on the running process (read its output files, call ``progress``).

        Called on the task's thread, every ``next_check()`` seconds while it runs.
        """

    def next_check(self) -> float:
        """Seconds until the next ``monitor()``: doubles from ``first_check`` to ``max_check``.

        A long job is checked rarely; its end is noticed at once regardless.
        """
        return float(min(self.max_check, self.first_check * 2 ** min(self._checks, 30)))

    # -- the task --------------------------------------------------------------------

    def run(self) -> int:
        """Launch the process and watch it until it exits or the job is stopped."""
        process = self._launch()
        while True:
            try:
                code = process.wait(self.next_check())
                break
            except subprocess.TimeoutExpired:
                pass
            # Once stopping, the process is being killed: wait for it, monitor no more.
            if not self.terminating():
                self._checks += 1
                self.monitor()
        self._keep_output()
        self.returncode = code
        if code != 0 and not self.terminating():
            tail = self.stderr.strip().splitlines()[-20:]
            raise JobError(
                f"{self._name()} exited with {code}" + (":\n" + "\n".join(tail) if tail else "")
            )
        return code

    def running(self) -> bool:
        """True while the job's process runs."""
        process = self._process
        return process is not None and process.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id (its process group id too), once launched."""
        return self._process.pid if self._process is not None else None

    def read_output(self) -> tuple[str, str]:
        """The job's stdout and stderr so far (their last MiB), from any thread."""
        files = self._files
        if files is None:
            return self.stdout, self.stderr
        return _tail(files[0]), _tail(files[1])

    # -- lifecycle ---------------------------------------------------------------------

    def _start(self) -> None:
        # First, so that it runs last: after the kill, and after run() kept the output.
        self._defer(self._close_files)
        super()._start()

    def _launch(self) -> subprocess.Popen[bytes]:
        if self.terminating():
            raise JobError("stopped before it started")
        # Files, not pipes: a chatty job never blocks on a full pipe. Closed at release.
        out = tempfile.TemporaryFile()  # noqa: SIM115
        err = tempfile.TemporaryFile()  # noqa: SIM115
        self._files = (out, err)
        guardian.start()  # before the launch: a kernel killed right after it still has one
        try:
            process = self.launch(out, err)
        except OSError as exc:
            raise JobError(f"could not start {self._name()}: {exc}") from exc
        if _leads_group(process.pid):
            guardian.watch(process.pid)
        # Published once watched: whoever sees ``pid`` may rely on the guardian knowing it.
        self._process = process
        self._defer(self._kill_group, process)
        return process

    def _kill_group(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM the job's process group, SIGKILL it after ``terminate_grace`` s."""
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(self.terminate_grace)
            except subprocess.TimeoutExpired:
                log.warning(
                    "Job %s ignored SIGTERM for %.1f s; killing it", self.id, self.terminate_grace
                )
        # Also after a clean exit: children left in the group are the job's too.
        _signal_group(process.pid, signal.SIGKILL)
        process.wait(5.0)
        guardian.forget(process.pid)

    def _keep_output(self) -> None:
        files = self._files
        if files is not None:
            self.stdout, self.stderr = _tail(files[0]), _tail(files[1])

    def _close_files(self) -> None:
        self._keep_output()
        files, self._files = self._files, None
        if files is not None:
            for f in files:
                f.close()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for name in ("_process", "_files"):
            state.pop(name, None)
        return state

    def _info(self) -> dict[str, Any]:
        return {**super()._info(), "pid": self.pid, "returncode": self.returncode}

    def _name(self) -> str:
        return shlex.join(self.command) if self.command else type(self).__name__


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:  # ended already
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(pgid, sig)


def _tail(f: IO[bytes]) -> str:
    try:
        size = os.fstat(f.fileno()).st_size
        data = os.pread(f.fileno(), OUTPUT_TAIL_BYTES, max(0, size - OUTPUT_TAIL_BYTES))
    except (OSError, ValueError):  # closed meanwhile
        return ""
    return data.decode(errors="replace")
