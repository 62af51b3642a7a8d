"""PyMOL's command API bound to one PyMOL, and the errors PyMOL commands raise.

Shared by every way this kind runs PyMOL (an isolated worker, the kernel's own
process, the shared PyMOL), so all of them accept and refuse the same input.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from typing import Any, Protocol

from ..core.session import SessionError
from .worker import REFUSED


class PyMOLError(SessionError):
    """A PyMOL command failed (bad file, bad selection, bad arguments); the session lives on.

    ``command`` names the command, ``pymol_type`` the type of the exception raised in
    PyMOL (such as ``CmdException``) and ``pymol_traceback`` its traceback in the
    worker (in-process, the original exception is the ``__cause__`` instead).
    """

    def __init__(
        self, message: str, command: str = "", pymol_type: str = "", pymol_traceback: str = ""
    ) -> None:
        super().__init__(message)
        self.command = command
        self.pymol_type = pymol_type
        self.pymol_traceback = pymol_traceback


class PyMOLCrashed(PyMOLError):
    """The session's PyMOL is gone: a native crash, a kill, or a command that hung.

    The session is CRASHED (or FAILED after a timeout); the kernel and every other
    session are unaffected. ``s.restart()`` starts a fresh, empty PyMOL.
    """


class _Runner(Protocol):
    def _commands(self) -> frozenset[str]: ...

    def _call(self, op: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...


class PyMOLCommands:
    """PyMOL's command API (``pymol.cmd``) bound to one PyMOL: ``s.cmd.load(path)``.

    Getting an attribute checks the name (AttributeError with close matches);
    calling it runs the command where that PyMOL lives. In an isolated session the
    arguments and the result cross a process boundary: pass and expect plain data
    (strings, numbers, lists, dicts, numpy arrays).
    """

    __slots__ = ("_runner",)

    def __init__(self, runner: _Runner) -> None:
        self._runner = runner

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in REFUSED:
            raise AttributeError(f"{REFUSED[name]} instead")
        commands = self._runner._commands()
        if name not in commands:
            raise AttributeError(_unknown(name, commands))
        runner = self._runner

        def command(*args: Any, **kwargs: Any) -> Any:
            return runner._call("cmd", name, args, kwargs)

        command.__name__ = command.__qualname__ = name
        return command

    def __dir__(self) -> list[str]:
        with contextlib.suppress(SessionError):
            return sorted(self._runner._commands())
        return []

    def __repr__(self) -> str:
        return f"<PyMOL commands of {self._runner!r}>"


def _unknown(name: str, commands: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, commands, n=3)
    hint = f"; did you mean {', '.join(f'cmd.{c}' for c in close)}?" if close else ""
    return f"PyMOL has no command {name!r}{hint} (dir(s.cmd) lists them all)"
