"""Sessions nobody watches close themselves after their time to live.

A session is *watched* while a page shows it: the page said it showed the session's
view and has not gone since (unloaded, replaced by a reload, or silent: see
``heartbeat.py``). A session no output shows (what capture owns, ``show=False``),
or one no page has shown yet, is watched while any page of the kernel is connected:
that page shows the notebook its cell is in.

A session unwatched for its time to live (its own, given to ``open_session``, else
the ``time_to_live_minutes`` setting) closes itself, and its note says why. Off by
default. Nothing here runs for watched sessions or with the setting off: a session
gets a timer (``threads.call_later``) only when it stops being watched, and loses it
when it is watched again.

Threads: fed by the channel's comm handlers and the registry's events (any
thread); the close runs on the timer thread, as every close may.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import settings
from .callbacks import call_each
from .registry import Event, registry
from .threads import call_later


def check_minutes(minutes: float | None) -> float | None:
    """``minutes`` as a time to live; ValueError unless above 0 (None: the setting's)."""
    try:
        return settings.minutes_or_off(minutes)  # the setting's own check
    except ValueError as exc:
        raise ValueError(
            f"time_to_live_minutes {exc}, not {minutes!r}; leave it out for the "
            "time_to_live_minutes setting (off by default)"
        ) from None


class Watching:
    """Which page shows which session, and the timers of the unwatched ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: set[str] = set()  # connected now
        # session id -> pages that showed it; only those connected now watch it, so a
        # page that comes back under the same id (after a slow spell was taken for
        # death) watches again what it showed, without showing it again.
        self._shown_by: dict[str, set[str]] = {}
        self._own_minutes: dict[str, float] = {}  # session id -> its own time to live
        self._page_minutes: float | None = None  # the pages' setting, below the kernel's
        # session id -> (monotonic deadline, what cancels its timer)
        self._timers: dict[str, tuple[float, Callable[[], None]]] = {}
        self._listeners: list[Callable[[], object]] = []
        registry().subscribe(self._on_event)

    def on_change(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` when a session's clock starts or stops (for the feed)."""
        with self._lock:
            self._listeners.append(listener)

    def set_minutes(self, session_id: str, minutes: float) -> None:
        """Give one session its own time to live (``open_session(..., time_to_live_minutes=)``)."""
        with self._lock:
            self._own_minutes[session_id] = minutes
            timer = self._timers.pop(session_id, None)
        if timer is not None:
            timer[1]()  # armed with the setting's time as it opened
        self._review([session_id])

    def page_came(self, page: str, minutes: float | None = None) -> None:
        """A page connected (or said its settings again): sessions no page showed yet
        are watched by it; ``minutes``, its time-to-live setting, applies where the
        kernel has none (the last page's word)."""
        with self._lock:
            self._pages.add(page)
            self._page_minutes = minutes
        self._review_all()

    def page_went(self, page: str) -> None:
        """A page went (unloaded, replaced, silent): what it showed is no longer shown."""
        with self._lock:
            self._pages.discard(page)
        self._review_all()

    def shown(self, page: str, session_id: str) -> None:
        """Page ``page`` shows the session's view (a page that shows is connected)."""
        with self._lock:
            self._pages.add(page)
            self._shown_by.setdefault(session_id, set()).add(page)
        self._review([session_id])

    def closes_in(self, session_id: str) -> float | None:
        """Seconds until the session closes itself, or None while it is watched (or no TTL)."""
        with self._lock:
            timer = self._timers.get(session_id)
        return None if timer is None else max(0.0, timer[0] - time.monotonic())

    def _on_event(self, event: Event) -> None:
        if event.kind == "added":
            self._review([event.session_id])
        elif event.kind == "removed":
            with self._lock:
                self._shown_by.pop(event.session_id, None)
                self._own_minutes.pop(event.session_id, None)
                timer = self._timers.pop(event.session_id, None)
            if timer is not None:
                timer[1]()

    def _review_all(self) -> None:
        self._review([session.id for session in registry().all() if session.id])

    def _review(self, session_ids: list[str]) -> None:
        for session_id in session_ids:
            self._review_one(session_id)

    def _review_one(self, session_id: str) -> None:
        """Arm the session's timer if it became unwatched; disarm it if watched again."""
        minutes = self._minutes(session_id)
        watched = self._watched(session_id)
        cancel = None
        with self._lock:
            timer = self._timers.get(session_id)
            if timer is not None and (watched or minutes is None):
                del self._timers[session_id]
                cancel = timer[1]
            elif timer is None and not watched and minutes is not None:
                deadline = time.monotonic() + minutes * 60
                later = call_later(minutes * 60, self._expire, session_id)
                self._timers[session_id] = (deadline, later)
            else:
                return
            listeners = list(self._listeners)
        if cancel is not None:
            cancel()
        call_each(listeners, what="A time-to-live listener")

    def _minutes(self, session_id: str) -> float | None:
        with self._lock:
            own = self._own_minutes.get(session_id)
            pages = self._page_minutes
        if own is not None:
            return own
        kernel = settings.get("time_to_live_minutes")
        return kernel if kernel is not None else pages

    def _watched(self, session_id: str) -> bool:
        session = registry().get(session_id)
        lifecycle = None if session is None else session._lifecycle
        if lifecycle is None:
            return True  # gone, or never opened: nothing to close
        with self._lock:
            if self._shown_by.get(session_id, set()) & self._pages:
                return True
            return bool(self._pages) and not lifecycle.shown

    def _expire(self, session_id: str) -> None:
        with self._lock:
            self._timers.pop(session_id, None)
        minutes = self._minutes(session_id)
        session = registry().get(session_id)
        if session is None or session._lifecycle is None or minutes is None:
            return
        if self._watched(session_id):
            return
        session._lifecycle.why_closed = (
            f"no page showed it for {minutes:g} minute{'s' * (minutes != 1)} (its time to live)"
        )
        session.close()


_watching: Watching | None = None
_lock = threading.Lock()


def watching() -> Watching:
    """The kernel's one :class:`Watching` (made on first use, with the channel)."""
    global _watching
    with _lock:
        if _watching is None:
            _watching = Watching()
        return _watching
