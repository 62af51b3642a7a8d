"""Panel apps as they are: what ``pn.serve`` and a notebook's ``pn.panel(obj)`` take.

``open_session(obj)`` with a Panel viewable (``pn.Column(...)``, a widget, a
``pn.bind`` function), anything ``pn.panel()`` renders (a HoloViews or hvPlot
object, a DataFrame, a Matplotlib figure), or a function of no arguments that
returns one (as ``pn.serve`` takes it, called once per view) runs it as a
:class:`PanelApp`. Panel renders into a Bokeh document, so a Panel app is a Bokeh
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
import inspect
import re
import sys
from typing import Any

from bokeh.document import Document

from .apps import HostedApp, no_argv

# Packages whose objects pn.panel() renders and that do not import Panel themselves.
_HOLOVIZ = {"panel", "holoviews", "hvplot", "param"}


def host(obj: object, argv: list[str] | None = None) -> PanelApp | None:
    """The Panel host (``core/hosting.py``): a PanelApp for what Panel shows, else None."""
    if not _maybe_panel(obj) or importlib.util.find_spec("panel") is None:
        return None
    factory = _is_factory(obj)
    if not factory and not _renders(obj):
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
            if self.factory and not _renders(obj):
                raise TypeError(
                    f"{self.name}() returned {type(obj).__name__}, which Panel "
                    f"does not show: return a Panel object (pn.Column(...))"
                )
            # No Location model: it would follow and set the notebook page's own URL.
            view: Any = pn.panel(obj)
            view.server_doc(doc, location=False)


def _maybe_panel(obj: object) -> bool:
    if "panel" in sys.modules or hasattr(obj, "__panel__"):
        return True
    root = type(obj).__module__.partition(".")[0]
    return root in _HOLOVIZ or _takes_no_arguments(obj)


def _is_factory(obj: object) -> bool:
    # A pn.bind or param.depends function is a reactive view, not a factory: Panel
    # renders it, and calling it would lose what it depends on.
    return _takes_no_arguments(obj) and not hasattr(obj, "_dinfo")


def _renders(obj: object) -> bool:
    """Whether Panel shows ``obj`` as more than its ``str()`` (which anything has)."""
    import panel as pn
    from panel.pane import Str
    from panel.pane.base import PaneBase

    if isinstance(obj, pn.viewable.Viewable) or hasattr(obj, "__panel__"):
        return True
    if isinstance(obj, str) or obj is None:
        return False
    return PaneBase.get_pane_type(obj) is not Str


def _takes_no_arguments(obj: object) -> bool:
    if not callable(obj) or isinstance(obj, type):
        return False
    try:
        inspect.signature(obj).bind()
    except (TypeError, ValueError):
        return False
    return True
