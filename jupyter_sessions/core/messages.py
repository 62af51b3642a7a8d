"""The page channel's vocabulary, kernel side: comm targets, messages, and their checks.

The page's side is ``labextension/src/messages.ts``; the two say the same. A message
from a page is checked on arrival: what does not have its declared type is refused
whole and logged, never coerced (``str()`` of a list names no session a page meant).
"""

from __future__ import annotations

import logging
from typing import Any, Literal, TypedDict

log = logging.getLogger(__name__)

#: Page to kernel: hello, alive, view shown or disposed, cells cleared or deleted, close.
TARGET = "jupyter_sessions.v1"
#: Kernel to page: how often to say alive, then the list of open sessions on connect
#: and once per change.
FEED_TARGET = "jupyter_sessions.sessions.v1"
#: Kernel to page: connect now, a session no output shows is open (capture).
CALL_TARGET = "jupyter_sessions.call.v1"


class Hello(TypedDict):
    """First message of a page: where it is, for views behind a proxy."""

    type: Literal["hello"]
    origin: str
    base_url: str
    page: str  # this page load's id ("" from an older extension)
    replaces: str  # the id of the page this tab showed before, or ""


class SessionsMessage(TypedDict):
    """Kernel to frontend: every open session, as ``sessions()`` gives them."""

    type: Literal["sessions"]
    sessions: list[dict[str, Any]]


class HeartbeatMessage(TypedDict):
    """Kernel to frontend, first on a feed: say ``alive`` every this many seconds."""

    type: Literal["heartbeat"]
    seconds: float


def hello_of(data: dict[str, Any]) -> Hello:
    """A page's hello, each field a string (a missing one empty, the base URL "/")."""
    return Hello(
        type="hello",
        origin=str(data.get("origin", "")),
        base_url=str(data.get("base_url", "/")),
        page=str(data.get("page", "")),
        replaces=str(data.get("replaces", "")),
    )


def session_id_of(data: dict[str, Any]) -> str | None:
    """A message's ``session_id``; None, logged, unless it is a string."""
    session_id = data.get("session_id")
    if isinstance(session_id, str):
        return session_id
    log.warning("Refused a frontend %r message: session_id %r", data.get("type"), session_id)
    return None


def cells_of(data: dict[str, Any]) -> list[str] | None:
    """A message's ``cells``; None, logged, unless it is a list of cell ids (strings).

    Refused whole, never in part: a string would iterate to its letters and an object
    to its keys, each of which may be a real cell's id.
    """
    cells = data.get("cells")
    if isinstance(cells, list) and all(isinstance(cell, str) for cell in cells):
        return cells
    log.warning("Refused a frontend %r message: cells %r", data.get("type"), cells)
    return None


def page_of(open_msg: dict[str, Any]) -> str:
    """The id of the page that opened a comm, from its comm_open's data (or "")."""
    data = open_msg["content"].get("data") or {}
    page = data.get("page", "") if isinstance(data, dict) else ""
    return page if isinstance(page, str) else ""
