"""Bokeh sessions: live Bokeh documents in cells, served by one embedded server.

- ``session``: :class:`BokehSession`, the kind (views, periodic callbacks, ``update``);
- ``apps``: :class:`BokehApp`, apps written for ``show(app)`` and ``bokeh serve``, as they are;
- ``panel_apps``: :class:`PanelApp`, Panel objects and ``pn.serve``'s functions, as they are;
- ``server``: the embedded server (its thread, signed view ids, allowed origins);
- ``shared_server``: the kernel's one server, and how it plugs into the core;
- ``teardown``: how a view's server session goes, fast;
- ``quiet_logs``: Bokeh's routine warnings of departed browsers, kept out of cells.
"""

from __future__ import annotations

from .apps import BokehApp
from .panel_apps import PanelApp
from .session import BokehSession

__all__ = ["BokehApp", "BokehSession", "PanelApp"]
