"""The kernel-wide part: hooks into IPython, opening and closing sessions, shutdown.

``open_session`` is where a cell becomes an owner. Installing (on import of the
package in an IPython kernel, or ``%load_ext jupyter_sessions``) registers the
cell binding's hooks, the frontend channel's comm targets and the shutdown, as
soon as the frontend asks the kernel to shut down or restart (and at exit).
Kinds that hold something shared by all their sessions (the Bokeh kind's
embedded server) register how to stop it with :func:`at_shutdown`.

Which thread runs what is said once, in ``core/threads.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from IPython import get_ipython

from . import cells, channel, hosting, output, settings
from .callbacks import call_each
from .registry import registry
from .session import Session
from .time_to_live import check_minutes, watching

log = logging.getLogger(__name__)

S = TypeVar("S", bound=Session)

_shell: Any = None
_lock = threading.Lock()
_at_shutdown: list[Callable[[], object]] = []


@overload
def open_session(
    session: S, *, show: bool = ..., time_to_live_minutes: float | None = ...
) -> S: ...
@overload
def open_session(
    session: object,
    *,
    show: bool = ...,
    argv: list[str] | None = ...,
    time_to_live_minutes: float | None = ...,
) -> Session: ...


def open_session(
    session: object,
    *,
    show: bool = True,
    argv: list[str] | None = None,
    time_to_live_minutes: float | None = None,
) -> Session:
    """Start ``session``, make the running cell its owner and show it there.

    Runs on the kernel's main thread. The session closes when its cell is re-run,
    cleared or deleted, its close button is pressed, ``close()`` is called or the
    kernel shuts down. If it cannot start, it is left FAILED with nothing running
    and the error is raised here, so the traceback shows in the cell. A session
    closed while it started shows its "closed" note, not a live view.
    ``show=False``: nothing in the cell (the cell still owns the session; only
    clearing the output cannot close it then, having nothing to clear).
    ``time_to_live_minutes``: close the session once no page has shown it for this
    long (a page gone, the notebook closed), its note saying why; above 0 or a
    ValueError. Left out, the ``time_to_live_minutes`` setting applies (off by
    default; ``docs/settings.md``).

    An app written for another tool is hosted as it is, by the kind that runs it
    (``core/hosting.py``): a Bokeh ``app(doc)`` function (of one argument) or
    ``Application``, the path of what ``bokeh serve`` takes (``argv``: what its
    ``--args`` would pass), and, with Panel installed, a Panel object, what
    ``pn.panel()`` shows as more than text or JSON, or a function of no arguments
    returning one. Anything else is a TypeError that says what it got (a
    function's arguments too: ``print``, a builtin, is no app) and names the
    shapes accepted; data Panel would show only as text or JSON (a str that is no
    app's path, a number, a dict, a list) is to be wrapped in ``pn.panel(...)``.
    """
    minutes = check_minutes(time_to_live_minutes)
    options = {} if argv is None else {"argv": argv}
    if not isinstance(session, Session):
        session = hosting.hosted(session, **options)
    elif options:
        raise TypeError("argv= is for an app's path: open_session('app.py', argv=[...])")
    ensure_installed()
    lifecycle = registry().add(session, cells.current_cell())
    if minutes is not None:
        watching().set_minutes(lifecycle.id, minutes)
    running = lifecycle.start(session._start)
    if not show or not output.in_ipython():
        return session
    if running:
        # Where every page runs the extension (it said hello), it renders the output.
        output.show(session, widget=not channel.channel().pages)
    else:
        output.show_closed(session)
    return session


def adopt(session: Session, cell: str | None) -> Session:
    """Start ``session`` owned by ``cell``, shown nowhere: how capture owns, on any thread.

    Same contract as :func:`open_session` otherwise: a session that cannot start
    is left FAILED and the error raised.
    """
    ensure_installed()
    registry().add(session, cell).start(session._start)
    channel.call_pages()  # no output renders it: the page must connect to clear it
    return session


def close_session(session: Session) -> None:
    """Close ``session`` and release what it holds; closing twice is harmless."""
    if not isinstance(session, Session):
        raise TypeError(f"close_session() takes a Session, not {type(session).__name__}")
    session.close()


def close_all() -> int:
    """Close every open session of this kernel, newest first; returns how many."""
    reg = registry()
    return reg.close(reg.all())


def at_shutdown(fn: Callable[[], object]) -> None:
    """Run ``fn()`` at shutdown, after every session closed (once per ``fn``)."""
    with _lock:
        if fn not in _at_shutdown:
            _at_shutdown.append(fn)


def shutdown() -> None:
    """Close every session, then stop what kinds share (kernel exit, extension unload)."""
    closed = close_all()
    with _lock:
        stops = list(reversed(_at_shutdown))
    call_each(stops, what="Stopping at shutdown")
    log.debug("jupyter-sessions shut down: %d sessions closed", closed)


def install(shell: Any) -> None:
    """Register the hooks on ``shell`` once; calling again does nothing."""
    global _shell
    with _lock:
        if _shell is shell:
            return
        if _shell is not None:
            _unregister(_shell)
        shell.events.register("pre_run_cell", cells.pre_run_cell)
        shell.events.register("post_run_cell", cells.post_run_cell)
        _shell = shell
        cells.adopt_running_cell(shell)
        settings.load(shell)
    atexit.unregister(shutdown)
    atexit.register(shutdown)
    _shut_down_first(getattr(shell, "kernel", None))
    channel.register()
    log.debug("jupyter-sessions hooks installed on %r", shell)


def uninstall() -> None:
    """Remove the hooks and close every session (``%unload_ext``)."""
    global _shell
    with _lock:
        if _shell is not None:
            _unregister(_shell)
        _shell = None
    atexit.unregister(shutdown)
    shutdown()


def ensure_installed() -> None:
    """Install the hooks on the running IPython shell, if there is one."""
    shell = get_ipython()
    if shell is not None:
        install(shell)


def _shut_down_first(kernel: Any) -> None:
    """Close every session when the frontend asks ``kernel`` to shut down or restart.

    At exit is too late for that: ipykernel first signals every process of its group
    (and waits up to 29 s on one it ended that nobody reaped, such as a cell's
    ``subprocess.Popen``), and a Jupyter server kills a kernel still there 5 s after
    asking, so no exit hook runs. Closed here, sessions end their own processes and
    run their close hooks while the kernel still runs. ``do_shutdown`` is the hook
    ipykernel gives kernels for this; ours runs before the kernel's own.
    """
    original = getattr(kernel, "do_shutdown", None)
    if original is None or "do_shutdown" in vars(kernel):  # none, or ours already
        return

    async def do_shutdown(restart: bool) -> Any:
        shutdown()
        content = original(restart)
        return await content if inspect.isawaitable(content) else content

    kernel.do_shutdown = do_shutdown


def _unregister(shell: Any) -> None:
    kernel = getattr(shell, "kernel", None)
    if kernel is not None and "do_shutdown" in vars(kernel):
        del kernel.do_shutdown  # the class's own again
    for name, hook in (
        ("pre_run_cell", cells.pre_run_cell),
        ("post_run_cell", cells.post_run_cell),
    ):
        with contextlib.suppress(ValueError):  # not registered: nothing to undo
            shell.events.unregister(name, hook)
