"""Bokeh apps as they are: what ``show(app)`` and ``bokeh serve`` take, in a cell.

``open_session(app)`` with a function ``app(doc)``, a Bokeh ``Application``, or
the path of a script, notebook or app directory runs the app as a
:class:`BokehApp`: a Bokeh session like any other (same views, same close path),
whose views are filled by the app's handlers instead of ``setup_model``. Each
view is a document of its own, made as ``bokeh serve`` makes one: the app's
``on_session_created`` hooks, then its handlers with ``curdoc()`` the view's
document, and its ``on_session_destroyed`` hooks (the document's, and those of
``server_lifecycle.py`` / ``app_hooks.py``) once when the view goes.
``on_server_loaded`` runs when the session opens, ``on_server_unloaded`` when it
closes. The app's own periodic, timeout and next-tick callbacks run on the
embedded server's thread, so they go on while a cell computes, and stop the
moment the session closes.

Not carried over from ``bokeh serve``: a directory app's ``templates/`` (a cell
embeds the document, not a page) and its ``static/`` route.
"""

from __future__ import annotations

import os
from typing import Any

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.command.util import build_single_handler_application
from bokeh.document import Document
from bokeh.server.contexts import ApplicationContext

from ..core.hosting import arity
from .building import AppFailed
from .server import View
from .server.routing import awaited
from .session import BokehSession


def host(obj: object, argv: list[str] | None = None) -> BokehApp | None:
    """The Bokeh kind's host (``core/hosting.py``): a BokehApp for an app, else None.

    A function is an ``app(doc)`` when it is called with one argument: not a
    builtin, nor one of ``*args`` only (``print``), nor Panel's ``pn.bind``. A
    string is a path when something is there or it looks like one; other text is
    not an app (a TypeError from the core, not a FileNotFoundError).
    """
    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and _names_a_path(obj)):
        return BokehApp.from_path(obj, argv)
    if isinstance(obj, Application):
        no_argv(argv)
        return BokehApp(obj, "Application")
    # A pn.bind or param.depends function is Panel's: Panel calls it with its inputs.
    if callable(obj) and arity(obj) == 1 and not hasattr(obj, "_dinfo"):
        no_argv(argv)
        name = getattr(obj, "__name__", type(obj).__name__)
        return BokehApp(Application(FunctionHandler(obj)), name)
    return None


class HostedApp(BokehSession):
    """An app written for another tool, run as a Bokeh session: named by its app."""

    name: str
    _what = "app"  # what the app is, in the words of its errors

    def _label(self) -> str:
        return f"{self.name} {self.id}"

    def _builder(self) -> str:
        return f"the {self._what} {self.name!r}"

    def _info(self) -> dict[str, Any]:
        return {**super()._info(), "app": self.name}


class BokehApp(HostedApp):
    """A Bokeh app in a cell, run as ``bokeh serve`` runs it: one document per view.

    Made by ``open_session(app)``; ``update(fn)`` runs ``fn(view)`` on every view,
    with ``view.doc`` its document.
    """

    _what = "Bokeh app"
    _server_context: Any  # Bokeh's BokehServerContext, once opened

    def __init__(self, app: Application, name: str) -> None:
        self.app = app
        self.name = name

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], argv: list[str] | None = None) -> BokehApp:
        """The app at ``path``, as ``bokeh serve PATH --args ARGV`` would run it.

        FileNotFoundError if nothing is there; ValueError for a file that is not a
        ``.py`` or ``.ipynb``; RuntimeError (with the trace) for code that does not
        compile. Nothing runs before the session opens.
        """
        if argv is not None and not (
            isinstance(argv, list) and all(isinstance(a, str) for a in argv)
        ):
            raise TypeError(
                f"argv must be a list of strings, as bokeh serve --args passes; not {argv!r}"
            )
        full = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if not os.path.exists(full):
            raise FileNotFoundError(f"no Bokeh app at {os.fspath(path)!r}: {full} does not exist")
        return cls(build_single_handler_application(full, argv), os.path.basename(full))

    def _start(self) -> None:
        super()._start()
        self._server_context = ApplicationContext(self.app, url=self.name).server_context
        # Before the first view (made after the cell); raising fails the open.
        self._server.call(self.app.on_server_loaded, self._server_context)

    def _close_views(self) -> None:
        # As ``bokeh serve`` stops: after the last view's on_session_destroyed. At
        # kernel shutdown the server discards the views itself, and so it runs then.
        self._server.close_views(self._views, self._unload)

    def _build(self, doc: Document) -> None:
        for handler in self.app.handlers:
            handler.modify_document(doc)
            if handler.failed:  # a script's error, which Bokeh caught and kept
                raise AppFailed(handler.error or "the app failed", handler.error_detail or "")

    def _view_created(self, view: View, context: Any) -> Any:
        return self.app.on_session_created(context)

    async def _view_destroyed(self, view: View, context: Any) -> None:
        await awaited(self.app.on_session_destroyed(context))

    def _unload(self) -> None:
        """The session closed and every view heard it went (server thread, once)."""
        self.app.on_server_unloaded(self._server_context)


def _names_a_path(text: str) -> bool:
    """Whether ``text`` is meant as an app's path: something is there, or it looks so.

    A ``.py`` or ``.ipynb`` name, or one word with a slash in it: a missing one is
    then a FileNotFoundError that names it. Anything else is text, not an app.
    """
    if os.path.exists(os.path.expanduser(text)):
        return True
    if text.endswith((".py", ".ipynb")):
        return True
    return ("/" in text or os.sep in text) and not any(c.isspace() for c in text)


def no_argv(argv: list[str] | None) -> None:
    """argv= belongs to paths only: a TypeError for any other app that gets it."""
    if argv is not None:
        raise TypeError("argv= is for an app's path: open_session('app.py', argv=[...])")
