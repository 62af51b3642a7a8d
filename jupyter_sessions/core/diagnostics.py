"""What is open in this kernel: ``sessions()`` for code, ``print_info()`` for people.

Kinds add what only they know through the session protocol (``Session._info()``,
a row's extra fields) and through :func:`add_summary` (a line about a resource
the kind shares between sessions, such as the embedded Bokeh server).
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

from IPython.display import display

from . import cost
from .callbacks import call_each
from .output import in_ipython
from .registry import registry
from .session import Session
from .time_to_live import watching

NO_OWNER = "none: lives until closed or the kernel ends"
_COLUMNS = (
    "id",
    "kind",
    "type",
    "what",
    "state",
    "age",
    "closes_in_s",
    "port",
    "pid",
    "processes",
    "cpu_s",
    "memory_mb",
    "views",
    "callback_period",
    "error",
)

Summary = Callable[[], "str | None"]
_summaries: list[Summary] = []
_lock = threading.Lock()


def add_summary(summary: Summary) -> None:
    """Let ``print_info()`` show ``summary()``'s line (None: nothing to say now). Once each."""
    with _lock:
        if summary not in _summaries:
            _summaries.append(summary)


def sessions() -> list[dict[str, Any]]:
    """Every open session as plain data (id, kind, cell, state, age in s, ...), oldest first.

    Kind-specific fields (``views``, ``callback_period``, ``callback_errors`` for
    Bokeh, ``progress`` for tasks) are included where they apply. Closed sessions
    of which something still runs (a task whose ``run()`` ignores ``terminating()``)
    come last, TERMINATING, with an error that says what and for how long.
    """
    now = time.monotonic()
    reg = registry()
    return [_row(session, now) for session in reg.all() + reg.lingering()]


def _row(session: Session, now: float) -> dict[str, Any]:
    """One session as plain data: the lifecycle's fields, then the kind's own ``_info()``."""
    lifecycle = session._opened()
    row: dict[str, Any] = {
        "id": lifecycle.id,
        "kind": lifecycle.kind,
        "type": type(session).__name__,
        "cell": lifecycle.cell,
        "state": lifecycle.state.value,
        "age": round(now - lifecycle.created, 3),
        "closes_in_s": _closes_in(lifecycle.id),
        "error": (lifecycle.still_running() if lifecycle.closed else None) or lifecycle.error,
    }
    row.update(session._info())
    pid = row.get("pid")
    if isinstance(pid, int):
        row.update(cost.of_tree(pid))  # a kind's process: what it and its children use
    return row


def _closes_in(session_id: str) -> float | None:
    """Seconds until an unwatched session's time to live runs out (None: not counting)."""
    left = watching().closes_in(session_id)
    return None if left is None else round(left, 1)


def summaries() -> list[str]:
    """The kinds' summary lines (a failing one is logged and left out)."""
    with _lock:
        found = list(_summaries)
    return [line for line in call_each(found, what="A print_info() summary") if line]


class Report:
    """``print_info()``'s output, grouped by cell: HTML in a notebook, text in a terminal.

    A column shows only where some row has a value (a port, a pid, a tree's memory).
    """

    def __init__(self, lines: list[str], rows: list[dict[str, Any]]) -> None:
        self.lines = lines
        self.rows = rows

    def _columns(self) -> list[str]:
        return [c for c in _COLUMNS if any(r.get(c) is not None for r in self.rows)]

    def _groups(self) -> list[tuple[str, list[list[str]]]]:
        """(cell, its rows as strings), cells in the order they first appear."""
        columns = self._columns()
        groups: dict[str, list[list[str]]] = {}
        for row in self.rows:
            values = {**row, "age": f"{row['age']:.1f} s"}
            cells = ["" if values.get(c) is None else str(values[c]) for c in columns]
            groups.setdefault(row["cell"] or NO_OWNER, []).append(cells)
        return list(groups.items())

    def __repr__(self) -> str:
        columns = self._columns()
        groups = self._groups()
        table = [columns, *(r for _, rows in groups for r in rows)]
        widths = [max(len(r[i]) for r in table) for i in range(len(columns))]

        def line(values: list[str]) -> str:
            return "    " + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

        lines = [*self.lines, f"{len(self.rows)} open sessions"]
        if groups:
            lines.append(line(columns).rstrip())
        for cell, rows in groups:
            lines.append(f"  cell {cell}")
            lines.extend(line(r).rstrip() for r in rows)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{c}</th>" for c in columns)
        body = "".join(
            f'<tbody><tr><th colspan="{len(columns)}" style="text-align:left">cell '
            f"{html.escape(cell)}</th></tr>"
            + "".join(
                "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows
            )
            + "</tbody>"
            for cell, rows in self._groups()
        )
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        return (
            f"{notes}<p>{len(self.rows)} open sessions</p>"
            f"<table><thead><tr>{head}</tr></thead>{body}</table>"
        )


def print_info() -> None:
    """Show every session by owning cell (kind, what, state, age, port, pid, cost, ...)."""
    report = Report(summaries(), sessions())
    if in_ipython():
        display(report)
    else:
        print(report)
