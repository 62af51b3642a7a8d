"""What runs in a PyMOL worker process, and how any PyMOL command is run.

``isolated.Worker`` starts a worker as ``python worker.py FD``: a fresh interpreter
that runs this file as a script instead of importing it from the package, so that
nothing but PyMOL loads before PyMOL starts. So this file imports the standard library
only, PyMOL once the kernel has said where to find it, and nothing of the package.

Protocol, over the duplex ``multiprocessing.Pipe`` whose end is file descriptor FD:

- kernel -> worker, once: the kernel's ``sys.path``;
- worker -> kernel, once: ``("ready", pid, command_names)`` or ``("failed", message)``;
- kernel -> worker: ``(seq, op, name, args, kwargs, cwd)``, ``op`` "cmd" (run
  ``cmd.<name>``) or "png" (render the scene). The worker moves to ``cwd`` first, so
  relative paths mean what they mean in the kernel;
- worker -> kernel: ``(seq, True, result)`` or ``(seq, False, (type, message, traceback))``,
  ``seq`` None when the request itself could not be read;
- the kernel closes its end: the worker exits at once. If the kernel dies its end
  closes too, and a watchdog thread exits the worker when its parent changes, so even
  a SIGKILLed kernel leaves no PyMOL behind.

``run_command`` and ``render_png`` are also how the kernel runs commands in its own
PyMOL (``in_kernel.py``), so both modes accept and refuse the same input.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

WORKER_TITLE = "jsessions-pymol"  # the worker's process name (``ps``, psutil ``name()``)

# Commands no session may run, and what to do instead.
REFUSED = {"quit": "cmd.quit() would end the whole process; close the session with s.close()"}


class CommandError(Exception):
    """A command's input was wrong in a way PyMOL itself does not report."""


# -- what runs PyMOL commands, in a worker and in the kernel alike ---------------------


def command_names(cmd: Any) -> list[str]:
    """The public commands of PyMOL's ``cmd`` module that sessions offer."""
    names = []
    for name in dir(cmd):
        value = getattr(cmd, name, None)
        if name.startswith("_") or name in REFUSED or isinstance(value, type):
            continue
        if callable(value):
            names.append(name)
    return names


def run_command(cmd: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``cmd.<name>(*args, **kwargs)`` and turn PyMOL's silent failures into errors.

    ``load`` of a file with no readable atoms leaves no object behind and raises;
    ``fetch`` that fails (no network, here) raises instead of returning -1.
    """
    if name.startswith("_") or name in REFUSED:
        raise CommandError(REFUSED.get(name, f"cmd.{name} is private to PyMOL"))
    if name == "load":
        return _checked_load(cmd, args, kwargs)
    result = getattr(cmd, name)(*args, **kwargs)
    if name == "fetch" and result == -1:
        code = args[0] if args else kwargs.get("code", "?")
        raise CommandError(
            f"fetch could not download {code!r} (no network, or no such "
            "entry); load a local file with cmd.load(path) instead"
        )
    return result


def _checked_load(cmd: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    before = set(cmd.get_names("objects"))
    result = cmd.load(*args, **kwargs)
    for name in set(cmd.get_names("objects")) - before:
        if cmd.get_type(name) == "object:molecule" and cmd.count_atoms(f"%{name}") == 0:
            cmd.delete(name)
            path = args[0] if args else kwargs.get("filename", "?")
            raise CommandError(
                f"{path!r} holds no atoms PyMOL could read (is it really a "
                "structure file of the type its name says?); nothing was loaded"
            )
    return result


def render_png(cmd: Any, width: int, height: int, ray: bool) -> bytes:
    """The current scene as PNG bytes (headless: ray tracing draws without OpenGL)."""
    import tempfile

    fd, path = tempfile.mkstemp(prefix="jsessions-pymol-", suffix=".png")
    os.close(fd)
    try:
        cmd.png(path, width=int(width), height=int(height), ray=int(bool(ray)), quiet=1)
        with open(path, "rb") as file:
            data = file.read()
    finally:
        os.unlink(path)
    if not data:
        raise CommandError("PyMOL rendered no image")
    return data


# -- the worker (child process) --------------------------------------------------------


def serve(conn: Connection) -> None:
    """The worker's whole life: start PyMOL, answer requests until the kernel leaves."""
    # An interrupt is for the kernel, which drops the interrupted call's late reply;
    # a worker ends only when its kernel closes the pipe, or dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError), open("/proc/self/comm", "w") as comm:
        comm.write(WORKER_TITLE)  # Linux only; elsewhere the name stays "python"
    _exit_with_parent(os.getppid())
    try:
        cmd = _start_pymol()
        names = command_names(cmd)
    except BaseException as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # again: PyMOL's start installed its own
    conn.send(("ready", os.getpid(), names))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break  # the kernel closed its end, or died
        except Exception as exc:  # arguments the worker cannot unpickle
            reply: tuple[Any, ...] = (None, False, _error(exc, "the arguments could not be read"))
        else:
            reply = _answer(cmd, request)
        try:
            conn.send(reply)
        except OSError:
            break
        except Exception as exc:  # a result that cannot be pickled
            conn.send((reply[0], False, _error(exc, "the result could not be sent back")))
    os._exit(0)  # skip interpreter teardown: nothing to flush, and PyMOL may crash in it


def _start_pymol() -> Any:
    import pymol

    pymol.invocation.options.show_splash = 0  # no banner on the kernel's terminal
    import pymol2

    # The process's one PyMOL is PyMOL's own global instance, so wizards work too.
    instance = pymol2.SingletonPyMOL()
    instance.start()
    return instance.cmd


def _answer(cmd: Any, request: tuple[Any, ...]) -> tuple[Any, ...]:
    seq, op, name, args, kwargs, cwd = request
    try:
        if cwd != os.getcwd():
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        if op == "png":
            return (seq, True, render_png(cmd, *args))
        return (seq, True, run_command(cmd, name, args, kwargs))
    except Exception as exc:
        return (seq, False, _error(exc))


def error_message(exc: BaseException) -> str:
    """What went wrong, in PyMOL's words (its CmdException prints as " Error: ...")."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return message.strip() or f"PyMOL raised {type(exc).__name__} (see its feedback in the log)"


def _error(exc: BaseException, context: str = "") -> tuple[str, str, str]:
    import traceback

    message = error_message(exc)
    return (
        type(exc).__name__,
        f"{context}: {message}" if context else message,
        traceback.format_exc(),
    )


def _exit_with_parent(parent: int) -> None:
    """Exit when the kernel is gone, even if its end of the pipe is held open elsewhere."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    """``python pymol_worker.py FD``: become a worker on the pipe end FD."""
    conn = Connection(int(sys.argv[1]))
    sys.path[:] = conn.recv()  # the kernel's, instead of this file's folder
    serve(conn)


if __name__ == "__main__":
    main()
