"""PersistentProcess: an interpreter (any Jupyter kernel) kept alive and owned by a cell.

``p = open_session(PersistentProcess("python3"))`` then ``p.issue_command("x = 1")``.
Each session is a handle; handles with the same kernel name, cwd and group share
one kernel process (``kernel.py``, kept by ``pool.py``), which shuts down when the
last handle closes.
Closing comes from the one lifecycle: re-run, clear, delete, the close button,
``p.close()``, kernel exit.

Semantics chosen here:

- ``kill()`` kills the kernel process and closes this handle; other handles on it
  go CRASHED ("killed").
- ``restart()`` is the one restart of every kind (release, then start again, same
  id and cell), asking the pool for a *fresh* kernel: if other handles still share
  the process it is restarted in place (they see a fresh interpreter too, history
  starts over), else a new one starts.
- A kernel that dies is reported at once to a running command (ProcessCrashed)
  and to every handle on it (CRASHED); between commands, within half a second
  (the pool's watcher thread).

Threads: every method may be called from any thread; commands on one kernel run
one at a time; ``interrupt()`` works while another thread waits on a command.
"""

from __future__ import annotations

import html
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from IPython.display import display

from ..core.output import in_ipython
from ..core.registry import registry
from ..core.session import Session, SessionError, SessionState
from . import commands, pool
from .commands import Message
from .kernel import KernelDied, KernelTimeout, SharedKernel

log = logging.getLogger(__name__)


class ProcessCrashed(SessionError):
    """The persistent kernel died (killed, crashed); ``p.restart()`` starts a fresh one."""


class ProcessTimeout(SessionError):
    """A command did not finish in time; it was interrupted and the process lives on."""


@dataclass
class CommandResult:
    """What one command produced: its messages in order, and ok/error.

    Iterating yields the messages: ``{"type": "stdout"|"stderr", "data": text}``,
    ``{"type": "display_data"|"execute_result", "data": mimebundle, ...}``,
    ``{"type": "error", "data": {"ename", "evalue", "traceback"}}``.
    """

    status: str
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def stdout(self) -> str:
        return "".join(m["data"] for m in self.messages if m["type"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["data"] for m in self.messages if m["type"] == "stderr")

    @property
    def error(self) -> dict[str, Any] | None:
        errors = [m["data"] for m in self.messages if m["type"] == "error"]
        return errors[-1] if errors else None

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)


class PersistentProcess(Session):
    """A persistent interpreter in a cell. See the module docstring for the contract.

    ``kernel_name``: any installed Jupyter kernel (``python3``, ``julia-1.10``...).
    ``group``: handles with different groups never share a process. ``timeout``:
    default seconds a command may take. ``startup_timeout``: seconds to start.
    """

    kind = "process"

    def __init__(
        self,
        kernel_name: str = "python3",
        group: str | None = None,
        cwd: str | None = None,
        *,
        timeout: float = 600.0,
        startup_timeout: float = 60.0,
    ) -> None:
        if not timeout > 0 or not startup_timeout > 0:
            raise ValueError("timeout and startup_timeout must be positive numbers of seconds")
        self.kernel_name = kernel_name
        self.group = group
        self.cwd = cwd
        self.timeout = float(timeout)
        self.startup_timeout = float(startup_timeout)
        self._shared: SharedKernel | None = None
        self._fresh = False  # the next start asks the pool for a fresh interpreter

    # -- lifecycle ---------------------------------------------------------------

    def _start(self) -> None:
        key = (self.kernel_name, self.cwd, self.group)
        try:
            shared = pool.acquire(key, self.startup_timeout, fresh=self._fresh)
        except Exception as exc:
            raise SessionError(f"kernel {self.kernel_name!r} could not start: {exc}") from exc
        self._shared = shared
        self._defer(pool.release, shared)
        shared.watch(self._died)
        self._defer(shared.unwatch, self._died)

    def _died(self, reason: str) -> None:
        """Any thread: the shared kernel is gone; this handle goes CRASHED."""
        self._end(SessionState.CRASHED, reason)

    def _ended_error(self) -> SessionError:
        return ProcessCrashed(
            f"the persistent {self.kernel_name} process is gone "
            f"({self.error or 'not running'}); p.restart() starts a fresh one"
        )

    def _view(self) -> tuple[dict[str, Any], str]:
        text = (
            f"<div><b>{html.escape(self.kernel_name)}</b> persistent process "
            f"{html.escape(str(self.id))} (pid {self.pid}): "
            "<code>p.issue_command(code)</code> runs code in it.</div>"
        )
        return {"kernel_name": self.kernel_name, "group": self.group, "pid": self.pid}, text

    def _info(self) -> dict[str, Any]:
        return {
            "kernel_name": self.kernel_name,
            "group": self.group,
            "cwd": self.cwd,
            "pid": self.pid,
        }

    # -- public API --------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The kernel process's id while the handle runs, else None."""
        shared = self._shared
        return shared.pid if shared is not None and not shared.dead else None

    @property
    def alive(self) -> bool:
        """True while the handle runs and its kernel process lives (checks the process)."""
        shared = self._shared
        return self.state is SessionState.RUNNING and shared is not None and shared.alive()

    def issue_command(
        self, code: str, *, echo: bool = True, timeout: float | None = None
    ) -> CommandResult:
        """Run ``code``; output streams into the running cell (``echo``) as it comes.

        Returns the result (status ok/error, messages in order). Raises
        ProcessCrashed at once if the kernel dies, ProcessTimeout (after an
        interrupt) if it takes longer than ``timeout`` (default ``self.timeout``).
        """
        shared = self._running()
        limit = timeout or self.timeout
        if not shared.lock.acquire(timeout=limit):  # another thread's command runs
            raise ProcessTimeout(f"another command kept the process busy for {limit} s")
        try:
            status, messages = commands.execute(shared, code, _echo if echo else _ignore, limit)
        except KernelDied:
            raise self._crashed() from None
        except KernelTimeout:
            raise ProcessTimeout(
                f"the command did not finish within {limit} s and was interrupted"
            ) from None
        finally:
            shared.lock.release()
        return CommandResult(status, messages)

    def completions(self, text: str, cursor_pos: int | None = None) -> list[str]:
        """Completions of ``text`` at ``cursor_pos`` (default: its end), by the kernel."""
        shared = self._running()
        content = self._request(lambda: shared.client.complete(text, cursor_pos))
        return [str(m) for m in content.get("matches", [])]

    def is_complete(self, code: str) -> str:
        """'complete', 'incomplete', 'invalid' or 'unknown', as the kernel judges ``code``."""
        shared = self._running()
        return str(self._request(lambda: shared.client.is_complete(code))["status"])

    def history(self, n: int | None = None) -> list[str]:
        """The last ``n`` commands issued to this process (all, if None), oldest first.

        Kept here, per process (shared by its handles): the kernel's own history
        database mixes every session of that kernel language.
        """
        shared = self._running()
        items = list(shared.history)
        return items if n is None else items[-n:] if n > 0 else []

    def interrupt(self) -> None:
        """Interrupt the running command (any thread); it ends with a KeyboardInterrupt."""
        self._running().interrupt()

    def restart(self) -> None:
        """A fresh interpreter, same id and cell; see the module docstring for shared handles.

        Works on a running or a CRASHED handle; SessionError once it is closed. If
        no fresh kernel can start, the handle is FAILED and the error raised.
        """
        self._fresh = True
        try:
            self._restart()
        finally:
            self._fresh = False

    def kill(self) -> None:
        """Kill the kernel process now and close this handle; other handles go CRASHED."""
        shared = self._shared
        if shared is not None and self.id is not None and not self.closed:
            shared.unwatch(self._died)
            shared.kill(f"killed by {self!r}.kill()")
        self.close()

    # -- helpers ---------------------------------------------------------------

    def _running(self) -> SharedKernel:
        self._ensure_running()
        shared = self._shared
        if shared is None or not shared.alive():  # a death the watcher has not seen yet
            raise self._ended_error()
        return shared

    def _request(self, send: Any) -> dict[str, Any]:
        shared = self._running()
        try:
            return commands.request(shared, send, timeout=min(self.timeout, 30.0))
        except KernelDied:
            raise self._crashed() from None
        except KernelTimeout as exc:
            raise ProcessTimeout(f"no answer within 30 s: {exc}") from None

    def _crashed(self) -> SessionError:
        if self.closed:
            return SessionError(f"{self!r} was closed")
        return self._ended_error()


def _ignore(message: Message) -> None:
    """Output hook that keeps nothing (``echo=False``)."""


def _echo(message: Message) -> None:
    """Output hook: show a message in the running cell as the kernel produced it."""
    kind, data = message["type"], message["data"]
    if kind in ("stdout", "stderr"):
        stream = sys.stdout if kind == "stdout" else sys.stderr
        stream.write(data)
        stream.flush()
    elif kind in ("display_data", "execute_result"):
        if in_ipython():
            display(
                data,
                raw=True,  # type: ignore[no-untyped-call]
                metadata=message.get("metadata") or None,
            )
    elif kind == "error":
        sys.stderr.write("\n".join(data["traceback"]) + "\n")


def kill_all() -> int:
    """Close every PersistentProcess handle of this kernel (their kernels stop); how many."""
    handles = [s for s in registry().all() if isinstance(s, PersistentProcess)]
    return registry().close(handles)
