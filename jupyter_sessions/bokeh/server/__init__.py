"""The embedded Bokeh server: its parts, private to the Bokeh kind.

What the kind uses is exported here: :class:`EmbeddedServer` (mint views, open
and close them, run code on its thread), :class:`View` and ``APP_PATH``. The rest,
a module each:

- ``embedded``: the server: it listens, mints views and closes them;
- ``views``: :class:`View` and the one table of them;
- ``routing``: each document Bokeh makes, routed to its view (made, filled, discarded);
- ``thread``: its own thread and loop, and the one hand-over to it;
- ``config``: how it listens (address, port, origins, lifetimes);
- ``view_ids``: signed view ids;
- ``websocket``: forged tokens refused before the upgrade; VS Code's origins;
- ``teardown``: a closed view's connections ended now; documents destroyed
  without a full collection each;
- ``discards``: when Bokeh's cleanup of unused views runs, and the one collection
  after it;
- ``quiet_logs``: Bokeh's routine warnings of departed browsers, kept out of cells.
"""

from __future__ import annotations

from .embedded import APP_PATH, EmbeddedServer
from .views import View

__all__ = ["APP_PATH", "EmbeddedServer", "View"]
