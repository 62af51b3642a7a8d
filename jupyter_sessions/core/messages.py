"""Every message between page and kernel, kernel side: comm targets, messages, checks.

The page's side is ``labextension/src/messages.ts``; the two say the same. Two routes
carry these messages, with one vocabulary:

- the extension's channel (``core/channel.py``): comms to :data:`TARGET` (page to
  kernel) and :data:`FEED_TARGET` (kernel to page);
- the session widget's own comm (``core/widget.py``), where the extension is not
  there (VS Code, Voilà, JupyterLab without it): its custom messages, which also
  carry *pipes*, comm-like conversations with the kernel's comm targets.

Each route checks what arrives with its own parse (:func:`parse_channel`,
:func:`parse_widget`).

Whether a view went for good is the page's to decide (``view_disposed`` says it has:
the kernel closes the session at once). Only the page sees a moved or re-rendered
output come back, and what the notebook or the clipboard still holds.

A message from a page is checked on arrival: one of an unknown type,
one the route does not carry, or one with a field that does not have its declared
type is refused whole and logged, never coerced (``str()`` of a list names no session
a page meant; a string given as ``cells`` would iterate to letters that may be real
cells' ids). Fields beyond those declared are ignored; a bad picture with a Close is
dropped, and the Close kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, TypedDict, cast

from .pictures import is_picture

log = logging.getLogger(__name__)

#: Page to kernel: hello, alive, view shown or disposed, cells cleared or deleted, close.
TARGET = "jupyter_sessions.v1"
#: Kernel to page: how often to say alive, then the list of open sessions on connect
#: and once per change.
FEED_TARGET = "jupyter_sessions.sessions.v1"
#: Kernel to page: connect now, a session no output shows is open (capture).
CALL_TARGET = "jupyter_sessions.call.v1"


# Page to kernel.


class Hello(TypedDict):
    """First message of a page (channel): where it is, for views behind a proxy."""

    type: Literal["hello"]
    origin: str
    base_url: str
    page: str  # this page load's id ("" from an older extension)
    replaces: str  # the id of the page this tab showed before, or ""
    # The page's time-to-live setting (Settings Editor); the kernel's own wins.
    time_to_live_minutes: float | None


class Alive(TypedDict):
    """The page is still there (channel), as often as the feed's heartbeat asks."""

    type: Literal["alive"]


class ViewShown(TypedDict):
    """A live view of the session shows in the page (so its note may keep a picture)."""

    type: Literal["view_shown"]
    session_id: str


class ViewDisposed(TypedDict):
    """The page decided a view of the session went for good: close it."""

    type: Literal["view_disposed"]
    session_id: str


class CellsGone(TypedDict):
    """Cells whose output was cleared, or which were deleted: close what they own."""

    type: Literal["cells_cleared", "cells_deleted"]
    cells: list[str]


class Close(TypedDict):
    """The output's Close button; from the widget, with the view's last picture."""

    type: Literal["close"]
    session_id: str
    picture: str | None


class Picture(TypedDict):
    """The view's latest picture (widget), for the note that will replace it."""

    type: Literal["picture"]
    session_id: str
    picture: str


class PipeOpen(TypedDict):
    """Open a pipe to the kernel's comm target ``target``, as a comm_open would."""

    type: Literal["pipe_open"]
    pipe: str
    target: str
    data: dict[str, Any]


class PipeMessage(TypedDict):
    """A pipe's message, either way (its buffers travel as the comm's buffers)."""

    type: Literal["pipe_msg"]
    pipe: str
    data: dict[str, Any]


class PipeClose(TypedDict):
    """The page closed a pipe."""

    type: Literal["pipe_close"]
    pipe: str


#: What the channel carries, page to kernel.
ChannelMessage = Hello | Alive | ViewShown | ViewDisposed | CellsGone | Close
#: What the session widget's comm carries, page to kernel.
WidgetMessage = ViewShown | ViewDisposed | Close | Picture | PipeOpen | PipeMessage | PipeClose


# Kernel to page.


class SessionsMessage(TypedDict):
    """Every open session, as ``sessions()`` gives them (channel's feed)."""

    type: Literal["sessions"]
    sessions: list[dict[str, Any]]


class HeartbeatMessage(TypedDict):
    """Kernel to page, first on a feed: say ``alive`` every this many seconds."""

    type: Literal["heartbeat"]
    seconds: float


class PipeClosed(TypedDict):
    """The kernel's side closed a pipe (widget); ``data`` says why, if it says."""

    type: Literal["pipe_closed"]
    pipe: str
    data: dict[str, Any]


# The checks on arrival.

Check = Callable[[object], bool]
Fields = dict[str, Check]


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_cells(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(cell, str) for cell in value)


def _is_data(value: object) -> bool:
    return isinstance(value, dict)


def _is_minutes_or_none(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _is_picture_or_none(value: object) -> bool:
    return value is None or is_picture(value)


_SESSION: Fields = {"session_id": _is_str}
_CELLS: Fields = {"cells": _is_cells}
#: Each type's fields and their checks.
_FIELDS: dict[str, Fields] = {
    "hello": {
        "origin": _is_str,
        "base_url": _is_str,
        "page": _is_str,
        "replaces": _is_str,
        "time_to_live_minutes": _is_minutes_or_none,
    },
    "alive": {},
    "view_shown": _SESSION,
    "view_disposed": _SESSION,
    "cells_cleared": _CELLS,
    "cells_deleted": _CELLS,
    "close": {**_SESSION, "picture": _is_picture_or_none},
    "picture": {**_SESSION, "picture": is_picture},
    "pipe_open": {"pipe": _is_str, "target": _is_str, "data": _is_data},
    "pipe_msg": {"pipe": _is_str, "data": _is_data},
    "pipe_close": {"pipe": _is_str},
}
#: Fields a page may leave out, and what they then are (an older extension's hello).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "hello": {
        "origin": "",
        "base_url": "/",
        "page": "",
        "replaces": "",
        "time_to_live_minutes": None,
    },
    "close": {"picture": None},
    "pipe_open": {"data": {}},
    "pipe_msg": {"data": {}},
}

#: Fields that only add to a message: a bad one is dropped (its default), not the
#: message. A Close whose picture is too big still closes.
_EXTRAS: dict[str, frozenset[str]] = {
    "close": frozenset({"picture"}),
    "hello": frozenset({"time_to_live_minutes"}),
}

#: The types each route carries.
CHANNEL = frozenset(
    {"hello", "alive", "view_shown", "view_disposed", "cells_cleared", "cells_deleted", "close"}
)
WIDGET = frozenset(
    {"view_shown", "view_disposed", "close", "picture", "pipe_open", "pipe_msg", "pipe_close"}
)


def parse_channel(data: object) -> ChannelMessage | None:
    """The channel's message ``data`` is, checked; None, and a warning, if it is none."""
    return cast("ChannelMessage | None", _parse(data, CHANNEL))


def parse_widget(data: object) -> WidgetMessage | None:
    """The session widget's message ``data`` is, checked; None, and a warning, if none."""
    return cast("WidgetMessage | None", _parse(data, WIDGET))


def _parse(data: object, route: frozenset[str]) -> dict[str, Any] | None:
    """``data`` as the message it is, if ``route`` carries its type and each of its
    fields has its type; else None, and a warning says why."""
    kind = data.get("type") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(kind, str) or kind not in route:
        log.warning("Refused a frontend message of no type this route carries: %.200r", data)
        return None
    message: dict[str, Any] = {"type": kind}
    defaults = _DEFAULTS.get(kind, {})
    for field, check in _FIELDS[kind].items():
        value = data.get(field, defaults.get(field))
        if not check(value) and field in _EXTRAS.get(kind, ()):
            log.warning("Dropped the %s of a frontend %r message: %.200r", field, kind, value)
            value = defaults[field]
        elif not check(value):
            log.warning("Refused a frontend %r message: %s %.200r", kind, field, value)
            return None
        message[field] = value
    return message


def page_of(open_msg: dict[str, Any]) -> str:
    """The id of the page that opened a comm, from its comm_open's data (or "")."""
    data = open_msg["content"].get("data") or {}
    page = data.get("page", "") if isinstance(data, dict) else ""
    return page if isinstance(page, str) else ""
