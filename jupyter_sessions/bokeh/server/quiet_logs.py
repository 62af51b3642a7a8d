"""Bokeh's routine "browser went" warnings of the embedded server, kept out of cells.

Bokeh warns "Failed sending message as connection was closed" whenever a browser
leaves (a page reloaded or closed) or a session closes while a patch is on its way.
Bokeh's logger prints to the kernel's stderr, which lands in whichever cell is
current. For the embedded server that is routine, so such a record goes to this
module's debug log instead.

It is a filter on that one Bokeh logger, matching the embedded server's thread
only: other Bokeh servers in the kernel (the user's own ``show(app)``) still warn,
and the user's logging set-up is never touched.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

BOKEH_LOGGER = "bokeh.server.views.ws"
EXPECTED = ("Failed sending message as connection was closed",)


class QuietDepartedBrowsers(logging.Filter):
    """Drops the expected warnings of the thread that made it (the server thread)."""

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()

    def install(self) -> None:
        """Start filtering. Called on the server thread, which it then matches."""
        logging.getLogger(BOKEH_LOGGER).addFilter(self)

    def uninstall(self) -> None:
        """Stop filtering (the server thread ends)."""
        logging.getLogger(BOKEH_LOGGER).removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        """False (dropped, logged at debug) for an expected message of this thread."""
        if record.thread != self._thread or record.msg not in EXPECTED:
            return True
        log.debug("Bokeh: %s", record.getMessage())
        return False
