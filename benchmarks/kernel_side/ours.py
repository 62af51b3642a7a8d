"""The jupyter-sessions side of the Bokeh benchmarks, inside its kernel.

Importing this module imports jupyter_sessions (which installs its cell hooks),
so only the jupyter-sessions side's kernels load it; ``anchor`` answers the same
calls for Bokeh's ``show(app)``.

Threads: the harness's requests run on the kernel's main thread (bench_bokeh) or
on a subshell thread (bench_browser); the embedded server's sessions are read on
the server's own thread (``server.call``); registry listeners run on the thread
that closes the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.model import Model
from bokeh.models import ColumnDataSource
from bokeh.server.session import ServerSession

from jupyter_sessions import BokehSession, sessions
from jupyter_sessions.bokeh.shared_server import running_server
from jupyter_sessions.core.registry import Event, registry
from jupyter_sessions.core.session import SessionState

from . import records

STOPPED: dict[str | None, float] = {}  # session id -> its close finished (callbacks removed)


class Ticker(BokehSession):
    """bench_bokeh's app: the shared plot, whose periodic callback logs a tick."""

    callback_period = 0.25
    source: ColumnDataSource

    def setup_model(self) -> Model:
        plot, self.source = records.new_plot()
        return plot

    def periodic_callback(self) -> None:
        records.tick(self.id)
        self.source.data.update(y=np.random.rand(10))


def install() -> None:
    """Record in STOPPED when each session's close finished (bench_bokeh)."""

    def on_event(event: Event) -> None:
        if event.kind == "removed":
            records.remember(STOPPED, event.session_id)

    registry().subscribe(on_event)


def report_closing(mark: Callable[[str], None]) -> None:
    """``mark("heard")`` when a session begins closing, ``mark("closed")`` once it has
    (bench_browser: its callbacks stopped, its views asked to go)."""

    def on_event(event: Event) -> None:
        if event.kind == "state" and event.state is SessionState.TERMINATING:
            mark("heard")
        elif event.kind == "removed":
            mark("closed")

    registry().subscribe(on_event)


def server_sessions(view_id: str | None = None) -> list[ServerSession]:
    """The embedded server's live view sessions, or every one of view ``view_id``."""
    server = running_server()
    if server is None:
        return []
    if view_id is None:
        return server.call(lambda: [s for s in server.view_sessions() if not s.destroyed])
    return server.call(lambda: [s for s in server.view_sessions() if s.id == view_id])


def stop_time(key: str | None, dispose_msg: str | None) -> float | None:
    """When the close of session ``key`` finished (the re-run's own cell closed it)."""
    return STOPPED.get(key)


def watch(key: str | None, view_id: str) -> None:
    """Record when the server sessions of view ``view_id`` are destroyed."""
    records.watch_destroyed(key, server_sessions(view_id))


def live_server_sessions() -> int:
    return len(server_sessions())


def connections() -> list[list[Any]]:
    """[server session id, connections] of every live server session."""
    return [[s.id, s.connection_count] for s in server_sessions()]


def holdings() -> dict[str, Any]:
    """What the kernel holds: sessions, servers, live server sessions, threads, comms."""
    return {
        "sessions": len(sessions()),
        "servers": int(running_server() is not None),
        "server_sessions": live_server_sessions(),
        **records.kernel_stats(),
    }
