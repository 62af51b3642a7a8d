"""How a view's document is built, and what a failing build shows.

A view is built with ``curdoc()`` its own document, as Bokeh's server builds one
(:func:`with_curdoc`). A build that raises fails the session when it is the first
view (:func:`failure`: the reason its output shows, from the user's code on) and
shows the error in that view's document otherwise (:func:`error_html`).
"""

from __future__ import annotations

import html
import os
import traceback
from collections.abc import Callable

import bokeh.application
from bokeh.document import Document
from bokeh.io.doc import patch_curdoc


class AppFailed(Exception):
    """An app's code raised where Bokeh caught it (a script's handler keeps the trace)."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(error)
        self.detail = detail


def with_curdoc(doc: Document, fn: Callable[[Document], object]) -> None:
    """Run ``fn(doc)`` with ``bokeh.io.curdoc()`` returning ``doc``, as Bokeh's server does.

    Bokeh's patch is process-wide (a cell calling ``curdoc()`` meanwhile sees
    ``doc`` too) and not undone when the body raises, hence the catch inside it.
    """
    error: Exception | None = None
    with patch_curdoc(doc):
        try:
            fn(doc)
        except Exception as exc:
            error = exc
    if error is not None:
        raise error


_CALLERS = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(bokeh.application.__file__))


def failure(builder: str, exc: BaseException) -> str:
    """Why the session failed, for its output: what raised, and the trace from the user's code."""
    head = f"{builder} raised; fix it and run the cell again."
    if isinstance(exc, AppFailed):
        return f"{head}\n{exc.detail.rstrip()}"
    # From the user's code on: the frames that called it are ours, or Bokeh's handlers'.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_CALLERS):
        tb = tb.tb_next
    trace = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
    return f"{head}\n{trace}"


def error_html(builder: str, exc: BaseException) -> str:
    """The error a view whose build raised shows in its page."""
    text = "".join(traceback.format_exception_only(type(exc), exc))
    return f"<pre style='color:#b00'>{html.escape(builder)} failed:\n{html.escape(text)}</pre>"
