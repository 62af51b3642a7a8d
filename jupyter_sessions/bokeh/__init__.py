"""Bokeh sessions: live Bokeh documents in cells, served by one embedded server.

- ``session``: :class:`BokehSession`, the kind (its views, periodic callbacks, ``update``);
- ``first_view``: when a session's first view is made (after its cell replied);
- ``building``: how a view's document is built, and what a failing build shows;
- ``apps``: :class:`BokehApp`, apps written for ``show(app)`` and ``bokeh serve``, as they are;
- ``panel_apps``: :class:`PanelApp`, Panel objects and ``pn.serve``'s functions, as they are;
- ``shared_server``: the kernel's one server, and how it plugs into the core;
- ``comm_link``: a view over the kernel's own channel, for pages the server cannot reach;
- ``server/``: the embedded server's own parts (views, thread, ids, websocket, teardown),
  private to this kind.
"""

from __future__ import annotations

from .apps import BokehApp
from .panel_apps import PanelApp
from .session import BokehSession

__all__ = ["BokehApp", "BokehSession", "PanelApp"]
