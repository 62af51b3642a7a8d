"""A task's progress: what ``run()`` last reported, and how its cell shows it.

``Progress`` is the last report, sent to the page at most every ``EVERY_S``;
``ProgressWidgets`` are the status line, progress bar and output area (ipywidgets).
Both are updated from any thread: setting a widget trait only sends a comm message.
"""

from __future__ import annotations

import contextlib
import html
import time
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

# Progress reaches the page at most this often; the last value is always shown.
EVERY_S = 0.05


@dataclass
class Progress:
    """What ``run()`` last reported: how far (None: unknown), and a message."""

    fraction: float | None = None
    message: str = ""
    sent: float = 0.0  # when a report last went to the page (time.monotonic)

    def report(self, fraction: float | None, message: str) -> bool:
        """Keep a report; True if it should show now (none shown for ``EVERY_S``)."""
        self.fraction, self.message = fraction, message
        now = time.monotonic()
        if now - self.sent < EVERY_S:
            return False
        self.sent = now
        return True

    def line(self) -> str:
        """The last report in words ("40% reading"), as a closed task's note keeps it."""
        percent = "" if self.fraction is None else f"{self.fraction:.0%}"
        return " ".join(part for part in (percent, self.message) if part)


class ProgressWidgets:
    """A task's status line, progress bar and output area in its cell.

    Updated from any thread: setting a widget trait only sends a comm message.
    """

    def __init__(self) -> None:
        self._bar = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(width="12em")
        )
        self._label = widgets.HTML()
        self._line = widgets.HBox([self._bar, self._label])
        self._out = widgets.Output()

    def parts(self) -> list[Any]:
        """The widgets to show under the task's close button."""
        return [self._line, self._out]

    def status(self, state: str, fraction: float | None, message: str) -> None:
        """Show the task's state, how far it is and its message."""
        percent = "" if fraction is None else f" {fraction:.0%}"
        self._bar.bar_style = {"FAILED": "danger", "FINISHED": "success"}.get(state, "")
        if fraction is not None:
            self._bar.value = fraction
        self._label.value = f"<code>{html.escape(state)}</code>{percent} {html.escape(message)}"

    def append(self, text: str, stream: str) -> None:
        """Add ``text`` to the output area, as ``stream`` ("stdout" or "stderr")."""
        if stream == "stderr":
            self._out.append_stderr(text)
        else:
            self._out.append_stdout(text)

    def capture(self) -> Any:
        """Route ``print`` output to this task's cell (the main thread, between cells)."""
        stack = contextlib.ExitStack()
        for name, redirect in (
            ("stdout", contextlib.redirect_stdout),
            ("stderr", contextlib.redirect_stderr),
        ):
            stream = _Stream(self, name)
            stack.enter_context(redirect(stream))  # type: ignore[arg-type]
            stack.callback(stream.flush)
        return stack


class _Stream:
    """A file-like object writing whole lines into a task's output area.

    Lines, not writes: ``print(a, b)`` is four writes, each a widget update.
    """

    def __init__(self, widgets: ProgressWidgets, name: str) -> None:
        self._widgets, self._name = widgets, name
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        head, newline, self._pending = self._pending.rpartition("\n")
        if newline:
            self._widgets.append(head + newline, self._name)
        return len(text)

    def flush(self) -> None:
        """Send what is left of the last line."""
        text, self._pending = self._pending, ""
        if text:
            self._widgets.append(text, self._name)
