"""What an owned thing is, for people: a word for its kind, its port or pid, its cost.

Derived from the object each time it is asked, never stored: a server's port is
read from the server, a process tree's CPU and memory from the system
(``processes.py``). Each reader guards itself: an object half torn down answers
with less, never with an error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing.pool
import multiprocessing.process
import socketserver
import subprocess
import sys
import threading
from typing import Any

#: The words, by where a type comes from; the first match wins.
_WHAT_BY_MODULE = (
    ("distributed.deploy", "cluster"),
    ("dask_jobqueue", "cluster"),
    ("dask_kubernetes", "cluster"),
    ("distributed.client", "client"),
    ("matplotlib.figure", "figure"),
    ("matplotlib.animation", "animation"),
    ("tornado.ioloop", "callback"),
    ("panel.io.callbacks", "callback"),
    ("bokeh.server", "server"),
    ("tornado", "server"),
    ("uvicorn", "server"),
    ("gradio", "server"),
)


def what(obj: object) -> str:
    """One word for what ``obj`` is: process, thread, task, server, figure, cluster, ..."""
    if isinstance(obj, (subprocess.Popen, asyncio.subprocess.Process)):
        return "process"
    if isinstance(obj, multiprocessing.process.BaseProcess):
        return "process"
    if isinstance(obj, threading.Thread):
        return "thread"
    if isinstance(obj, (asyncio.Future, concurrent.futures.Future)):
        return "task"
    if isinstance(obj, (concurrent.futures.Executor, multiprocessing.pool.Pool)):
        return "executor"
    if isinstance(obj, socketserver.BaseServer):
        return "server"
    for module in _modules(obj):
        for prefix, word in _WHAT_BY_MODULE:
            if module.startswith(prefix):
                return word
    return "object"


def _modules(obj: object) -> list[str]:
    """Where ``obj``'s class and its bases come from (a cell's subclass of a library's)."""
    return [cls.__module__ for cls in type(obj).__mro__]


def running(obj: object) -> bool:
    """False once ``obj`` has ended by itself (nothing left to release); True if unsure."""
    try:
        return _running(obj)
    except Exception:  # half torn down: let its release decide
        return True


def _running(obj: Any) -> bool:
    if isinstance(obj, subprocess.Popen):
        return obj.poll() is None
    if isinstance(obj, asyncio.subprocess.Process):
        return obj.returncode is None
    if isinstance(obj, multiprocessing.process.BaseProcess):
        return obj.pid is not None and obj.is_alive()
    if isinstance(obj, threading.Thread):
        return obj.is_alive()
    if isinstance(obj, (asyncio.Future, concurrent.futures.Future)):
        return not obj.done()
    if isinstance(obj, socketserver.BaseServer):
        sock = getattr(obj, "socket", None)
        return sock is None or bool(sock.fileno() != -1)
    modules = _modules(obj)
    if "matplotlib.figure" in modules:
        pyplot = sys.modules.get("matplotlib.pyplot")
        return pyplot is None or bool(pyplot.fignum_exists(obj.number))
    if "tornado.ioloop" in modules:
        return bool(obj.is_running())
    return True


def port(obj: object) -> int | None:
    """The TCP port ``obj`` listens on, if it is a server that says."""
    with contextlib.suppress(Exception):
        return _port(obj)
    return None


def _port(obj: Any) -> int | None:
    if isinstance(obj, socketserver.BaseServer):
        address = obj.server_address
        return int(address[1]) if isinstance(address, tuple) else None
    for name in ("port", "server_port"):  # Bokeh's Server, Gradio's Blocks
        value = getattr(obj, name, None)
        if isinstance(value, int):
            return value
    sockets = getattr(obj, "_sockets", None)  # tornado's TCPServer
    if isinstance(sockets, dict) and sockets:
        return int(next(iter(sockets.values())).getsockname()[1])
    config = getattr(obj, "config", None)  # uvicorn's Server
    value = getattr(config, "port", None)
    return value if isinstance(value, int) else None


def pid(obj: object) -> int | None:
    """The process id of a process, else None."""
    value = getattr(obj, "pid", None)
    return value if isinstance(value, int) and what(obj) == "process" else None


def describe(obj: object) -> dict[str, Any]:
    """What ``sessions()`` shows of ``obj``: its kind word, port or pid, and a tree's cost."""
    row: dict[str, Any] = {"what": what(obj)}
    listening = port(obj)
    if listening is not None:
        row["port"] = listening
    process = pid(obj)
    if process is not None:
        row["pid"] = process
    return row
