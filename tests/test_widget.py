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
    custom(nb, comm_id, {"type": "close"})
    wait_for(lambda: nb.value("live()") == [], timeout=10)
    assert nb.value(f"{comm_id!r} in __import__('ipywidgets').Widget.widgets") is False


CLOSER = "s._defer(lambda: CLOSERS.append(__import__('threading').get_ident()))"


def test_removed_views_are_closed_by_one_long_lived_thread(nb: NotebookKernel) -> None:
    """Not a thread per close: ipykernel gives each thread that sends a socket of its
    own, and each such thread kept about 15 KB of the kernel's memory for good."""
    ok(nb.run("CLOSERS = []", cell_id="cell-setup"))
    for cell in ("cell-a", "cell-b", "cell-c"):
        comm_id, _ = opened(nb, cell)
        ok(nb.run(CLOSER, cell_id="cell-closer"))
        custom(nb, comm_id, {"type": "view_removed"})
        wait_for(lambda: nb.value("live()") == [], timeout=10)
    closers = nb.value("CLOSERS")
    assert len(closers) == 3 and len(set(closers)) == 1
    assert (
        nb.value(
            "[t.ident for t in __import__('threading').enumerate() "
            "if t.name == 'jupyter-sessions-timer']"
        )
        == closers[:1]
    )


def test_a_removed_view_closes_its_session_unless_it_comes_back(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    custom(nb, comm_id, {"type": "view_removed"})  # a moved cell: back at once
    custom(nb, comm_id, {"type": "view_shown"})
    ok(nb.run("time.sleep(1.5)", cell_id="cell-b"))  # longer than the grace
    assert len(nb.value("live()")) == 1
    custom(nb, comm_id, {"type": "view_removed"})  # cleared for good
    wait_for(lambda: nb.value("live()") == [], timeout=10)


def test_a_view_travels_through_a_pipe_in_the_widgets_comm(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    custom(
        nb,
        comm_id,
        {
            "pipe": "p1",
            "open": "jupyter_sessions.bokeh.view.v1",
            "data": {"token": nb.value(TOKEN)},
        },
    )
    first = from_widget(nb, comm_id, 10.0, until=bool)
    assert first and json.loads(first[0]["data"]["fragments"][0])["msgtype"] == "ACK"
    header = json.dumps({"msgid": "page-1", "msgtype": "PULL-DOC-REQ"})
    custom(nb, comm_id, {"pipe": "p1", "data": {"fragments": [header, "{}", "{}"]}})

    def types(messages: list[dict[str, Any]]) -> set[str]:
        return {
            json.loads(m["data"]["fragments"][0])["msgtype"]
            for m in messages
            if m.get("pipe") == "p1" and "data" in m
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
    custom(nb, comm_id, {"pipe": "p2", "open": "no.such.target", "data": {}})
    assert from_widget(nb, comm_id, 10.0, until=bool) == [
        {"pipe": "p2", "closed": {"error": "no comm target 'no.such.target'"}}
    ]


def test_a_closed_session_closes_its_widget(nb: NotebookKernel) -> None:
    comm_id, _ = opened(nb)
    reply = ok(nb.run("s.close()", cell_id="cell-b"))
    assert nb.comm_closed(comm_id, reply)
    assert nb.value(f"{comm_id!r} in __import__('ipywidgets').Widget.widgets") is False
