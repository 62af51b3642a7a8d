"""What is open in this kernel: ``sessions()`` for code, ``print_info()`` for people."""

from __future__ import annotations

import html
import time
from typing import Any

from . import cells, kernel, task
from .session import Session, SessionState

NO_OWNER = "none: lives until closed or the kernel ends"
_COLUMNS = ("id", "kind", "type", "cell", "state", "age", "views", "callback_period", "error")


def sessions() -> list[dict[str, Any]]:
    """Every open session as plain data (id, kind, cell, state, age in s, ...), oldest first.

    Kind-specific fields (``views``, ``callback_period``, ``callback_errors`` for
    Bokeh, ``progress`` for tasks) are included where they apply. Closed tasks
    whose ``run()`` ignores ``terminating()`` come last, TERMINATING, with an error
    that says so: they still hold a thread.
    """
    now = time.monotonic()
    rows = [_row(session, now) for session in kernel.registry().all()
            if session._lifecycle is not None]
    stubborn = SessionState.TERMINATING.value
    rows += [{**_row(t, now), "state": stubborn, "error": why} for t, why in task.lingering()]
    return rows


def _row(session: Session, now: float) -> dict[str, Any]:
    """One session as plain data: the lifecycle's fields, then the kind's own ``_info()``."""
    lifecycle = session._lifecycle
    assert lifecycle is not None  # callers list opened sessions only
    row: dict[str, Any] = {
        "id": lifecycle.id,
        "kind": lifecycle.kind,
        "type": type(session).__name__,
        "cell": lifecycle.cell,
        "state": lifecycle.state.value,
        "age": round(now - lifecycle.created, 3),
        "error": lifecycle.error,
    }
    row.update(session._info())
    return row


def server_info() -> dict[str, Any]:
    """The embedded Bokeh server as plain data: url, running, live view sessions."""
    server = kernel.running_bokeh_server()
    if server is None:
        return {"url": None, "running": False, "view_sessions": 0}
    count = server.call(lambda: len(server.view_sessions()))
    return {"url": server.url, "running": True, "view_sessions": count}


class Report:
    """``print_info()``'s output: an HTML table in a notebook, text in a terminal."""

    def __init__(self, server: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        self.server = server
        self.rows = rows

    def _cells(self, row: dict[str, Any]) -> list[str]:
        values = {**row, "cell": row["cell"] or NO_OWNER, "age": f"{row['age']:.1f} s"}
        return ["" if values.get(c) is None else str(values.get(c)) for c in _COLUMNS]

    def _server_line(self) -> str:
        if not self.server["running"]:
            return "Bokeh server: not running (starts with the first BokehSession)"
        return (f"Bokeh server: {self.server['url']} "
                f"({self.server['view_sessions']} live view sessions)")

    def __repr__(self) -> str:
        lines = [self._server_line(), f"{len(self.rows)} open sessions"]
        table = [list(_COLUMNS), *[self._cells(r) for r in self.rows]]
        widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
        for row in table:
            lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in self._cells(r)) + "</tr>"
            for r in self.rows
        )
        return (f"<p>{html.escape(self._server_line())}; {len(self.rows)} open sessions</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def print_info() -> None:
    """Show the server URL and every session (id, kind, owning cell, state, age, ...)."""
    report = Report(server_info(), sessions())
    if cells.in_ipython():
        from IPython.display import display

        display(report)
    else:
        print(report)
