"""The frontend channel, kernel side: the comm messages JupyterLab's extension sends."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import websocket

from .support.bokeh_client import ViewClient, fetch_token
from .support.kernels import busy_cell
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

TARGET = "jupyter_sessions.v1"
FEED = "jupyter_sessions.sessions.v1"
HELLO = {"type": "hello", "origin": "http://localhost:8888", "base_url": "/"}


def opened(nb: NotebookKernel, cell: str) -> str:
    reply = nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id=cell)
    assert reply.status == "ok", reply.traceback
    return reply.stdout.strip()


def connect(nb: NotebookKernel, subshell_id: str | None = None) -> str:
    comm_id = uuid.uuid4().hex
    nb.open_comm(comm_id, TARGET, HELLO, subshell_id)
    return comm_id


def test_the_page_gets_the_sessions_on_connect_and_on_every_change(nb: NotebookKernel) -> None:
    sid = opened(nb, "cell-a")
    connect(nb)
    comm_id = uuid.uuid4().hex
    nb.open_comm(comm_id, FEED, {})
    first = nb.comm_messages(comm_id, timeout=2)
    assert first[-1]["type"] == "sessions"
    assert [s["id"] for s in first[-1]["sessions"]] == [sid]
    later = [
        m["data"]
        for m in nb.run("s.close()", cell_id="cell-b").comm_msgs
        if m["comm_id"] == comm_id
    ]
    assert later and later[-1]["sessions"] == []
    assert nb.value("_kernel_channel().pages") == [
        {**HELLO, "page": "", "replaces": "", "time_to_live_minutes": None}
    ]


def test_the_feed_says_each_change_once_through_an_open_and_a_close(nb: NotebookKernel) -> None:
    """One message per change the page can see: opened, running, gone (the close once)."""
    feed = uuid.uuid4().hex
    nb.open_comm(feed, FEED, {})
    heartbeat, *said = nb.comm_messages(feed, timeout=2)  # how often to speak, the list
    assert heartbeat["type"] == "heartbeat"
    opening = ok(nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id="cell-a"))
    said += [m["data"] for m in opening.comm_msgs if m["comm_id"] == feed]
    said += nb.comm_messages(feed, timeout=2)  # the first view is made after the cell
    closing = ok(nb.run("s.close()", cell_id="cell-b"))
    said += [m["data"] for m in closing.comm_msgs if m["comm_id"] == feed]
    said += nb.comm_messages(feed, timeout=2)
    sid = opening.stdout.strip()
    assert [[(row["id"], row["state"]) for row in m["sessions"]] for m in said] == [
        [],
        [(sid, "PENDING")],
        [(sid, "RUNNING")],
        [],
    ]


def test_view_disposed_closes_the_session_and_repeats_are_harmless(nb: NotebookKernel) -> None:
    sid = opened(nb, "cell-a")
    other = opened(nb, "cell-b")
    comm_id = connect(nb)
    for _ in range(3):  # duplicate and late messages
        nb.send_comm_msg(comm_id, {"type": "view_disposed", "session_id": sid})
    wait_for(lambda: nb.value("live()") == [other])


def test_cleared_and_deleted_cells_close_their_sessions(nb: NotebookKernel) -> None:
    opened(nb, "cell-a")
    b = opened(nb, "cell-b")
    opened(nb, "cell-c")
    comm_id = connect(nb)
    nb.send_comm_msg(comm_id, {"type": "cells_cleared", "cells": ["cell-a"]})
    nb.send_comm_msg(comm_id, {"type": "cells_deleted", "cells": ["cell-c", "never-ran"]})
    wait_for(lambda: nb.value("live()") == [b])
    nb.send_comm_msg(comm_id, {"type": "close", "session_id": b})
    wait_for(lambda: nb.value("live()") == [])


def test_bad_messages_close_nothing_and_a_good_one_after_them_still_closes(
    nb: NotebookKernel,
) -> None:
    """Each bad message names an open session or its cell where a good one would, so a
    handler that took messages at their word would close a session on several of them
    (a string iterates to its letters, an object to its keys). None may; and the
    channel still hears the good messages after them (a handler that refused
    everything fails too)."""
    sid = opened(nb, "cell-a")
    short = opened(nb, "b")  # a one-letter cell id: the string "b" iterates to ["b"]
    comm_id = connect(nb)
    for data in (
        {"type": "cells_cleared", "cells": "b"},  # a string, not a list
        {"type": "cells_cleared", "cells": {"cell-a": True}},  # an object, not a list
        {"type": "cells_deleted", "cells": ["cell-a", 7]},  # not cell ids only
        {"type": "cells_deleted", "cells": [["cell-a"]]},
        {"type": "view_disposed", "session_id": [sid]},  # not a string
        {"type": "close", "session_id": {sid: sid}},
        {"type": "close", "cells": ["cell-a"]},  # another message's field
        {"type": "cells_cleared", "session_id": sid},
        {"type": "CLOSE", "session_id": sid},  # no such type
        {"session_id": sid, "cells": ["cell-a", "b"]},  # no type at all
        {"type": "view_disposed"},
        {},
    ):
        nb.send_comm_msg(comm_id, data)
    # The main shell handles messages in order: the probe runs after all of them.
    assert nb.value("live()") == [sid, short]
    nb.send_comm_msg(comm_id, {"type": "cells_cleared", "cells": ["b"]})
    wait_for(lambda: nb.value("live()") == [sid])
    nb.send_comm_msg(comm_id, {"type": "close", "session_id": sid})
    wait_for(lambda: nb.value("live()") == [])


def test_clearing_closes_while_another_cell_computes(nb: NotebookKernel, tmp_path: Path) -> None:
    nb.open_comm(uuid.uuid4().hex, FEED, {})
    sid = opened(nb, "cell-a")  # the kernel sends on the feed from the main thread
    clock = opened(nb, "cell-c")  # ticks on: time passing, as the kernel sees it
    subshell = nb.create_subshell()
    comm_id = connect(nb)  # opened on the main shell, as JupyterLab does
    busy = busy_cell(nb, tmp_path / "done")  # computes until the test says so
    nb.send_comm_msg(comm_id, {"type": "cells_cleared", "cells": ["cell-a"]}, subshell)
    wait_for(lambda: nb.value_now("live()", subshell) == [clock], timeout=10)
    stopped, clock_ticks = nb.value_now(f"[ticks({sid!r}), ticks({clock!r})]", subshell)
    wait_for(lambda: nb.value_now(f"ticks({clock!r})", subshell) >= clock_ticks + 3)
    assert nb.value_now(f"ticks({sid!r})", subshell) == stopped  # no tick after clearing
    (tmp_path / "done").touch()
    assert nb.collect(busy, timeout=30).status == "ok"


def test_a_remote_page_origin_is_allowed_once_the_page_says_hello(nb: NotebookKernel) -> None:
    opened(nb, "cell-a")
    view = nb.value("view_of(s)")
    token = fetch_token(view["app_url"], view["view_id"])
    hub = "https://hub.example.org"
    with pytest.raises(websocket.WebSocketBadStatusException):
        ViewClient.connect(view["app_url"], token, origin=hub)
    nb.open_comm(uuid.uuid4().hex, TARGET, {**HELLO, "origin": hub})
    origins = "sorted(running_server()._tornado().websocket_origins)"
    wait_for(lambda: "hub.example.org:80" in nb.value(origins))
    ViewClient.connect(view["app_url"], token, origin=hub).close()
    nb.open_comm(uuid.uuid4().hex, TARGET, {**HELLO, "origin": "*"})  # logged, refused
    assert "*" not in nb.value(origins)


def test_a_reloaded_page_closes_what_the_page_before_it_left_open(nb: NotebookKernel) -> None:
    """A departed page's own closes were lost (a busy machine): its successor names it."""
    comms = {name: uuid.uuid4().hex for name in ("old", "old-feed", "tab", "tab-feed", "new")}
    nb.open_comm(comms["old"], TARGET, {**HELLO, "page": "p1", "replaces": ""})
    nb.open_comm(comms["old-feed"], FEED, {"page": "p1"})
    nb.open_comm(comms["tab"], TARGET, {**HELLO, "page": "p9", "replaces": ""})  # another tab
    nb.open_comm(comms["tab-feed"], FEED, {"page": "p9"})
    wait_for(lambda: len(nb.value("_kernel_channel().open_feeds")) == 2)
    nb.open_comm(comms["new"], TARGET, {**HELLO, "page": "p2", "replaces": "p1"})
    closed = {}
    for msg in nb.iopub(20.0):
        if msg["msg_type"] == "comm_close":
            closed[msg["content"]["comm_id"]] = msg["content"]["data"]
        if len(closed) == 2:
            break
    assert closed == {
        comms["old"]: {"reason": "replaced"},
        comms["old-feed"]: {"reason": "replaced"},
    }
    assert nb.value("_kernel_channel().open_feeds") == [comms["tab-feed"]]
    assert [page["page"] for page in nb.value("_kernel_channel().pages")] == ["p9", "p2"]


def test_a_note_says_when_no_page_showed_the_view_and_so_no_picture_was_kept(
    nb: NotebookKernel,
) -> None:
    """nbclient and papermill run with no page: no picture could be kept, and the note says so."""
    unseen = nb.run("u = open_session(Ticker())", cell_id="cell-a").displays[0]
    seen = nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id="cell-b")
    comm_id = connect(nb)
    nb.send_comm_msg(comm_id, {"type": "view_shown", "session_id": seen.stdout.strip()})
    wait_for(lambda: nb.value("s._lifecycle.shown"))
    ok(nb.run("u.close(); s.close()", cell_id="cell-c"))
    # Both notes come after that cell's reply, in one stream.
    wanted = [d["transient"]["display_id"] for d in (unseen, seen.displays[0])]
    found: dict[str, str] = {}
    for msg in nb.iopub(timeout=10):
        display_id = msg["content"].get("transient", {}).get("display_id")
        if msg["msg_type"] == "update_display_data" and display_id in wanted:
            found[display_id] = msg["content"]["data"]["text/plain"]
        if len(found) == 2:
            break
    notes = [found.get(display_id, "") for display_id in wanted]
    assert notes[0].endswith("closed (TERMINATED); no page showed it, so no picture of it was kept")
    assert notes[1].endswith("closed (TERMINATED)")
