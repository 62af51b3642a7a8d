"""Pages that die without a word, noticed by their silence.

A page that goes closes its comms (``channel.py``), but a crashed browser, a lost
network or a closed laptop says nothing. So a connected page says ``alive`` every
``heartbeat_seconds`` (the setting; the kernel tells each page on its feed), and a
page silent for three times that long is let go as if it had unloaded: the channel
closes its comms with the reason ``"silent"`` (a page alive after all, whose
messages were only slow, hears that and connects again). With the default 15 s a
dead page is let go within 60 s.

Costs nothing while no page is connected: the check is one timer call per period
(``threads.call_later``), scheduled only while some page is heard from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import settings
from .threads import call_later

#: A page silent for this many periods is taken for dead.
SILENT_PERIODS = 3


def period() -> float:
    """How often pages say they are alive, in seconds (the setting)."""
    return float(settings.get("heartbeat_seconds"))


class Heartbeat:
    """When each connected page last spoke; ``let_go(page)`` for the silent ones."""

    def __init__(self, let_go: Callable[[str], None]) -> None:
        self._let_go = let_go
        self._heard: dict[str, float] = {}
        self._ticking = False
        self._lock = threading.Lock()

    def heard(self, page: str) -> None:
        """Page ``page`` spoke (any message); starts the check if none runs."""
        if not page:
            return  # a page that names itself not (an older extension) cannot be told apart
        with self._lock:
            self._heard[page] = time.monotonic()
            start, self._ticking = not self._ticking, True
        if start:
            call_later(period(), self._check)

    def forget(self, page: str) -> None:
        """Page ``page`` went by itself: stop listening for it."""
        with self._lock:
            self._heard.pop(page, None)

    def _check(self) -> None:
        """Let go of the silent pages; check again in a period while any page is left."""
        limit = SILENT_PERIODS * period()
        now = time.monotonic()
        with self._lock:
            silent = [page for page, when in self._heard.items() if now - when > limit]
            for page in silent:
                del self._heard[page]
            again = self._ticking = bool(self._heard)
        for page in silent:
            self._let_go(page)
        if again:
            call_later(period(), self._check)
