"""Panel apps as they are: what ``pn.serve`` and a notebook's ``pn.panel(obj)`` take.

``open_session(obj)`` with a Panel object (``pn.Column(...)``, a widget, a
``pn.bind`` function, anything with ``__panel__``), an object ``pn.panel()`` shows
as more than text or JSON (a HoloViews or hvPlot object, a DataFrame, a Matplotlib
figure), or a function of no arguments that returns one (as ``pn.serve`` takes it,
called once per view) runs it as a :class:`PanelApp`. What Panel would show only
as text or JSON (a str, a number, a dict, a list) is not taken: wrapped in
``pn.panel(...)`` it is a Panel object, and shows as Panel shows it. Panel renders
into a Bokeh document, so a Panel app is a Bokeh
session like any other (same views, same close path, same embedded server);
each view is ``pn.panel(obj).server_doc(doc)``, as ``panel serve`` makes it, with
``pn.state.curdoc`` the view's document. Panel's own per-document cleanup (its
``on_session_destroyed``, which also stops ``pn.state.add_periodic_callback``)
runs when the view goes; the app's document callbacks stop when its cell lets go.

Panel is an extra (``jupyter-sessions[panel]``), imported only when an object
may be Panel's: Panel is already imported, the object comes from a HoloViz
package, or it is a function of no arguments.
"""

from __future__ import annotations

import importlib.util
import numbers
import re
import sys
from typing import Any

from bokeh.document import Document

from ..core.hosting import arity
from .apps import HostedApp, no_argv

# Packages whose objects pn.panel() renders and that do not import Panel themselves.
_HOLOVIZ = {"panel", "holoviews", "hvplot", "param"}


def host(obj: object, argv: list[str] | None = None) -> PanelApp | None:
    """The Panel host (``core/hosting.py``): a PanelApp for a Panel app, else None.

    Anything else (a function of one or more arguments, text, data) is left to the
    other hosts, and then to the core's TypeError, which says to wrap data in
    ``pn.panel(...)``.
    """
    if not _maybe_panel(obj) or importlib.util.find_spec("panel") is None:
        return None
    if _shown(obj):
        factory = False
    elif arity(obj) == 0:
        factory = True
    else:
        return None
    no_argv(argv)
    return PanelApp(obj, _name(obj), factory=factory)


def _name(obj: object) -> str:
    """What the app is called in its label: its own name, not Panel's "Column00127"."""
    kind = type(obj).__name__
    name = getattr(obj, "__name__", None) or getattr(obj, "name", None) or kind
    if re.fullmatch(re.escape(kind) + r"\d{5}", str(name)):  # param's default name
        return kind
    return str(name)


class PanelApp(HostedApp):
    """A Panel app in a cell, one document per view, as ``panel serve`` makes them.

    ``factory``: ``obj`` is a function of no arguments, called once per view (each
    view gets widgets of its own); otherwise every view shows the same object
    (its widgets are shared, as Panel shares a viewable served to many pages).
    """

    _what = "Panel app"

    def __init__(self, obj: Any, name: str, factory: bool = False) -> None:
        self.obj = obj
        self.name = name
        self.factory = factory

    def _build(self, doc: Document) -> None:
        import panel as pn
        from panel.io.state import set_curdoc

        with set_curdoc(doc):
            obj = self.obj() if self.factory else self.obj
            if doc.roots:  # it called .servable() itself, as apps for panel serve do
                return
            if self.factory and not _shown(obj):
                raise TypeError(
                    f"{self.name}() returned {type(obj).__name__}, which is not a Panel "
                    f"object: return a Panel object (pn.Column(...)), or wrap what it "
                    f"returns in pn.panel(...)"
                )
            # No Location model: it would follow and set the notebook page's own URL.
            view: Any = pn.panel(obj)
            view.server_doc(doc, location=False)


def _maybe_panel(obj: object) -> bool:
    if "panel" in sys.modules or hasattr(obj, "__panel__"):
        return True
    root = type(obj).__module__.partition(".")[0]
    return root in _HOLOVIZ or arity(obj) == 0


def _shown(obj: object) -> bool:
    """Whether Panel shows ``obj`` as itself: a Panel object, or more than text or JSON.

    A pn.bind or param.depends function is a reactive view, not a factory: Panel
    renders it, and calling it would lose what it depends on. Any other function is
    Panel's ``interact``, a factory or no app at all, as its arguments say.
    """
    import panel as pn
    from panel.interact import interactive
    from panel.pane import HTML, JSON, Markdown, Str
    from panel.pane.base import PaneBase

    if isinstance(obj, pn.viewable.Viewable) or hasattr(obj, "__panel__"):
        return True
    if hasattr(obj, "_dinfo"):
        return True
    if obj is None or isinstance(obj, _DATA):
        return False
    return PaneBase.get_pane_type(obj) not in (Str, JSON, Markdown, HTML, interactive)


# What Panel guesses a pane for: text (Markdown, or a file's or URL's contents),
# numbers, containers (JSON, or text), bytes (a picture or a video, by their start).
_DATA = (str, bytes, bytearray, numbers.Number, dict, list, tuple, set, frozenset, range)
