"""The session widget, kernel side: the output every frontend can show, and its pipes.

A real kernel; the page's side is played with the comm messages the widget's
JavaScript sends (ipywidgets' ``custom`` messages), as a frontend without this
project's extension (VS Code, Voilà) does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

MIME = "application/vnd.jupyter-sessions.session.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"
OPEN = "s = open_session(Ticker())"
TOKEN = "running_server().token(s.view_id)"
CONNECTIONS = (
    "sum(v.connection_count for v in running_server().call(running_server().view_sessions))"
)


def opened(nb: NotebookKernel, cell: str = "cell-a") -> tuple[str, Any]:
    """Open a Ticker in ``cell``; the widget's comm id and the kernel's reply."""
    reply = ok(nb.run(OPEN, cell_id=cell))
    bundles = [d["data"] for d in reply.displays if MIME in d["data"]]
    assert len(bundles) == 1
    return str(bundles[0][WIDGET]["model_id"]), reply


def custom(nb: NotebookKernel, comm_id: str, content: dict[str, Any]) -> None:
    """What the widget's JavaScript sends with ``model.send(content)``."""
    nb.send_comm_msg(comm_id, {"method": "custom", "content": content})


def from_widget(
    nb: NotebookKernel,
    comm_id: str,
    timeout: float,
    until: Callable[[list[dict[str, Any]]], bool] = lambda _: False,
) -> list[dict[str, Any]]:
    """The custom messages the kernel sends on the widget within ``timeout`` s, or
    until those so far satisfy ``until``."""
    got: list[dict[str, Any]] = []
    for msg in nb.iopub(timeout):
        data = msg["content"].get("data", {})
        if (
            msg["msg_type"] == "comm_msg"
            and msg["content"].get("comm_id") == comm_id
            and data.get("method") == "custom"
        ):
            got.append(data["content"])
            if until(got):
                break
    return got


def test_one_output_carries_the_view_the_widget_and_html_with_one_widget_comm(
    nb: NotebookKernel,
) -> None:
    comm_id, reply = opened(nb)
    bundle = next(d["data"] for d in reply.displays if MIME in d["data"])
    assert set(bundle) >= {MIME, WIDGET, "text/html", "text/plain"}
    assert bundle[MIME]["label"]  # the extension's Close bar shows it
    assert [c["comm_id"] for c in reply.comm_opens] == [comm_id]  # one comm, not eight
    # No layout model: the page would keep every layout view of a shared one.
    assert reply.comm_opens[0]["data"]["state"]["layout"] is None
    state = nb.value(f"__import__('ipywidgets').Widget.widgets[{comm_id!r}].view")
    assert state["view_id"] == nb.value("s.view_id")


def test_the_widgets_close_button_closes_the_session(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    custom(nb, comm_id, {"type": "close", "session_id": nb.value("s.id")})
    wait_for(lambda: nb.value("live()") == [], timeout=10)
    assert nb.value(f"{comm_id!r} in __import__('ipywidgets').Widget.widgets") is False


def test_a_view_the_page_says_went_closes_its_session_at_once(nb: NotebookKernel) -> None:
    """The page decides whether a removed view went (a moved cell's comes back); the
    kernel closes at once when it says so, with no timer of its own."""
    comm_id, _ = opened(nb)
    sid = nb.value("s.id")
    custom(nb, comm_id, {"type": "view_shown", "session_id": sid})
    assert nb.value("s._lifecycle.shown") is True
    custom(nb, comm_id, {"type": "view_disposed", "session_id": sid})
    # The main shell handles messages in order: this probe runs after the message.
    assert nb.value("live()") == []


WIDGET_OF = "__import__('ipywidgets').Widget.widgets[{!r}]"
PNG = "iVBORw0KGgo="  # a PNG's first bytes, in base64


def test_bad_messages_are_refused_and_a_good_one_after_them_still_counts(
    nb: NotebookKernel,
) -> None:
    """Each bad message would do harm if taken at its word: keep a picture that is not
    one (the saved note would carry it), or close a session. None may; and the widget
    still hears the good messages after them."""
    comm_id, _ = opened(nb)
    sid = nb.value("s.id")
    other = ok(nb.run("o = open_session(Ticker())\nprint(o.id)", cell_id="cell-b")).stdout.strip()
    too_big = "A" * (
        nb.value("__import__('jupyter_sessions.core.pictures').core.pictures.MAX_PICTURE_CHARS") + 4
    )
    for data in (
        {"type": "picture", "session_id": sid, "picture": too_big},
        {"type": "picture", "session_id": sid, "picture": [PNG]},  # not a string
        {"type": "picture", "session_id": sid, "picture": {"png": PNG}},
        {"type": "close", "session_id": [sid]},  # not a string
        {"type": "close"},  # no session
        {"type": "view_disposed", "session_id": other},  # another widget's session
        {"type": "view_removed"},  # no such type
        {"type": "cells_cleared", "cells": ["cell-a"]},  # the channel's, not the widget's
        {"pipe": "p1", "open": "jupyter_sessions.bokeh.view.v1"},  # no type
        {"type": "pipe_open", "pipe": "p1", "target": ["jupyter_sessions.bokeh.view.v1"]},
        {},
    ):
        custom(nb, comm_id, data)
    assert nb.value("live()") == [sid, other]
    assert nb.value(f"{WIDGET_OF.format(comm_id)}.picture") is None
    custom(nb, comm_id, {"type": "picture", "session_id": sid, "picture": PNG})
    assert nb.value(f"{WIDGET_OF.format(comm_id)}.picture") == PNG
    custom(nb, comm_id, {"type": "view_disposed", "session_id": sid})
    wait_for(lambda: nb.value("live()") == [other], timeout=10)


def test_a_view_travels_through_a_pipe_in_the_widgets_comm(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    custom(
        nb,
        comm_id,
        {
            "type": "pipe_open",
            "pipe": "p1",
            "target": "jupyter_sessions.bokeh.view.v1",
            "data": {"token": nb.value(TOKEN)},
        },
    )
    first = from_widget(nb, comm_id, 10.0, until=bool)
    assert first and json.loads(first[0]["data"]["fragments"][0])["msgtype"] == "ACK"
    header = json.dumps({"msgid": "page-1", "msgtype": "PULL-DOC-REQ"})
    custom(
        nb,
        comm_id,
        {"type": "pipe_msg", "pipe": "p1", "data": {"fragments": [header, "{}", "{}"]}},
    )

    def types(messages: list[dict[str, Any]]) -> set[str]:
        return {
            json.loads(m["data"]["fragments"][0])["msgtype"]
            for m in messages
            if m.get("pipe") == "p1" and m.get("type") == "pipe_msg"
        }

    got = from_widget(
        nb, comm_id, 10.0, until=lambda m: {"PULL-DOC-REPLY", "PATCH-DOC"} <= types(m)
    )
    assert {"PULL-DOC-REPLY", "PATCH-DOC"} <= types(got)
    assert nb.value(CONNECTIONS) == 1
    reply = ok(nb.run("s.close()", cell_id="cell-b"))
    assert nb.comm_closed(comm_id, reply)  # the widget, and the pipes in it, went
    wait_for(lambda: nb.value(CONNECTIONS) == 0, timeout=10)


def test_a_pipe_to_no_target_is_refused(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    custom(nb, comm_id, {"type": "pipe_open", "pipe": "p2", "target": "no.such.target"})
    assert from_widget(nb, comm_id, 10.0, until=bool) == [
        {"type": "pipe_closed", "pipe": "p2", "data": {"error": "no comm target 'no.such.target'"}}
    ]


def test_a_closed_session_closes_its_widget(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    reply = ok(nb.run("s.close()", cell_id="cell-b"))
    assert nb.comm_closed(comm_id, reply)
    assert nb.value(f"{comm_id!r} in __import__('ipywidgets').Widget.widgets") is False
