"""The anchor side of the Bokeh benchmarks, inside its kernel: Bokeh's own ``show(app)``.

Each ``show(app)`` starts a Bokeh server on the kernel's IOLoop (the kernel's main
thread), listed in ``curstate().uuid_to_server``; jupyter_bokeh's renderer runs
``destroy_server(server_id)`` as code in the kernel when the output goes away.
Never imports jupyter_sessions. Answers the same calls as ``ours``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.io import output_notebook
from bokeh.io.state import curstate
from bokeh.server.session import ServerSession
from IPython import get_ipython

from . import records

_app_numbers = itertools.count(1)
_last_app: list[str] = []


def install() -> None:
    """``output_notebook()`` once, as a Bokeh user's setup cell does (bench_bokeh)."""
    output_notebook(hide_banner=True)


def ticking_app() -> Application:
    """bench_bokeh's app: the shared plot, whose periodic callback (250 ms) logs a tick."""
    key = f"app-{next(_app_numbers)}"
    _last_app[:] = [key]

    def make_doc(doc: Document) -> None:
        plot, source = records.new_plot()
        doc.add_root(plot)

        def periodic() -> None:
            records.tick(key)
            source.data.update(y=np.random.rand(10))

        doc.add_periodic_callback(periodic, 250)

    return Application(FunctionHandler(make_doc))


def last_app() -> str | None:
    """The tick key of the app ``ticking_app()`` made last."""
    return _last_app[0] if _last_app else None


def report_closing(mark: Callable[[str], None]) -> None:
    """``mark("heard")`` when jupyter_bokeh's destroy_server code starts (bench_browser)."""

    def pre_run_cell(info: Any) -> None:
        if "destroy_server(" in (info.raw_cell or ""):
            mark("heard")

    shell = get_ipython()
    assert shell is not None, "the anchor runs in an IPython kernel"
    shell.events.register("pre_run_cell", pre_run_cell)


def server_sessions(server_id: str | None = None) -> list[ServerSession]:
    """Every live server session of every ``show(app)`` server, or every one of a server."""
    if server_id is None:
        servers = list(curstate().uuid_to_server.values())
        return [s for server in servers for s in server.get_sessions() if not s.destroyed]
    return list(curstate().uuid_to_server[ID(server_id)].get_sessions())


def stop_time(key: str | None, dispose_msg: str | None) -> float | None:
    """When jupyter_bokeh's destroy_server code (execute request ``dispose_msg``) returned."""
    return records.ENDS.get(dispose_msg)


def watch(key: str | None, server_id: str) -> None:
    """Record when the server sessions of ``show(app)`` server ``server_id`` are destroyed."""
    records.watch_destroyed(key, server_sessions(server_id))


def live_server_sessions() -> int:
    return len(server_sessions())


def connections() -> list[list[Any]]:
    """[server session id, connections] of every live server session."""
    return [[s.id, s.connection_count] for s in server_sessions()]


def holdings() -> dict[str, Any]:
    """What the kernel holds: live apps, servers, live server sessions, threads, comms."""
    live = live_server_sessions()
    return {
        "sessions": live,
        "servers": len(curstate().uuid_to_server),
        "server_sessions": live,
        **records.kernel_stats(),
    }
