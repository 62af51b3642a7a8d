"""What a Bokeh document holds and what a page sends to it, as BokehJS does.

For tests of apps written for ``bokeh serve`` and Panel: find a model in the document
a view pulled (a Slider titled "offset"), send the PATCH-DOC a user's drag of it
sends, and read whether the app's own Python answered with a changed model, over the
websocket (``bokeh_client``) or over a comm (``bokeh_comm``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from .bokeh_client import ViewClient, fetch_token
from .bokeh_comm import CommView
from .notebook_kernel import NotebookKernel


def models(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every model a PULL-DOC-REPLY's document defines, as Bokeh serialises them."""
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "object" and "name" in node and "id" in node:
                yield node
            stack.extend(node.values())


def model_id(doc: dict[str, Any], name: str, **attributes: Any) -> str:
    """The id of the one ``name`` model with ``attributes`` (a Slider titled "offset")."""
    found = [
        m["id"]
        for m in models(doc)
        if m["name"] == name
        and all(m.get("attributes", {}).get(k) == v for k, v in attributes.items())
    ]
    assert len(found) == 1, (name, attributes, found)
    return str(found[0])


def moved(slider: str, value: float) -> dict[str, Any]:
    """The PATCH-DOC BokehJS sends when a user drags ``slider`` to ``value``."""
    return {
        "events": [{"kind": "ModelChanged", "model": {"id": slider}, "attr": "value", "new": value}]
    }


def changes(content: dict[str, Any], model: str, attr: str) -> bool:
    """Whether a PATCH-DOC's content changes ``model``'s ``attr``."""
    return any(
        event.get("model", {}).get("id") == model and event.get("attr") == attr
        for event in content.get("events", [])
    )


def websocket_patches(client: ViewClient, timeout: float) -> Iterator[dict[str, Any]]:
    """The contents of the PATCH-DOCs the websocket brings within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        msg = client.receive(left)
        if msg is not None and msg.msgtype == "PATCH-DOC":
            yield msg.content


def comm_patches(view: CommView, timeout: float) -> Iterator[dict[str, Any]]:
    """The contents of the PATCH-DOCs the comm brings within ``timeout`` s."""
    return (m.content for m in view.receive(timeout) if m.msgtype == "PATCH-DOC")


def answered(patches: Iterable[dict[str, Any]], model: str, attr: str) -> bool:
    """Whether one of ``patches`` changes ``model``'s ``attr`` (the app's answer)."""
    return any(changes(content, model, attr) for content in patches)


def connect(nb: NotebookKernel) -> tuple[ViewClient, dict[str, Any]]:
    """A websocket client on ``s``'s view, with the document it pulled."""
    view = nb.value("view_of(s)")
    client = ViewClient.connect(view["app_url"], fetch_token(view["app_url"], view["view_id"]))
    return client, client.pull().content["doc"]
