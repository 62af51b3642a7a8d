"""A page's side of a Bokeh view over a comm: the kernel's own channel, not a websocket.

Speaks Bokeh's protocol in comm messages exactly as the page's BokehJS does over the
extension's comm (the wire format of ``jupyter_sessions/bokeh/comm_link.py``), and
asks the kernel for BokehJS itself over its BokehJS comm, as a page that cannot reach
the kernel's server does.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .notebook_kernel import NotebookKernel

VIEW = "jupyter_sessions.bokeh.view.v1"
BOKEHJS = "jupyter_sessions.bokehjs.v1"


@dataclass
class Received:
    """One Bokeh message as the page gets it, with its binary buffers."""

    header: dict[str, Any]
    content: dict[str, Any]
    buffers: list[bytes]

    @property
    def msgtype(self) -> str:
        return str(self.header["msgtype"])


@dataclass
class CommView:
    """A page's view over a comm: sends Bokeh messages, reads what the kernel sends.

    With ``subshell_id``, it speaks on that subshell, as JupyterLab >= 4.4 does.
    """

    nb: NotebookKernel
    subshell_id: str | None = None
    comm_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    closed: dict[str, Any] | None = None
    _n: int = 0

    def open(self, token: str) -> CommView:
        self.nb.open_comm(self.comm_id, VIEW, {"token": token}, self.subshell_id)
        return self

    def send(self, msgtype: str, content: dict[str, Any]) -> None:
        self._n += 1
        header = {"msgid": f"page-{self._n}", "msgtype": msgtype}
        self.send_fragments([json.dumps(header), "{}", json.dumps(content)])

    def send_fragments(self, fragments: list[Any]) -> None:
        self.nb.send_comm_msg(self.comm_id, {"fragments": fragments}, self.subshell_id)

    def close(self) -> None:
        self.nb.close_comm(self.comm_id)

    def receive(self, timeout: float) -> Iterator[Received]:
        """Bokeh messages for this view within ``timeout`` s; stops when the kernel closes it."""
        for msg in self.nb.iopub(timeout):
            content = msg["content"]
            if content.get("comm_id") != self.comm_id:
                continue
            if msg["msg_type"] == "comm_close":
                self.closed = content.get("data") or {}
                return
            if msg["msg_type"] == "comm_msg":
                yield decode(content["data"])

    def first(self, msgtype: str, timeout: float = 20.0) -> Received:
        for message in self.receive(timeout):
            if message.msgtype == msgtype:
                return message
        raise AssertionError(f"no {msgtype} within {timeout} s (closed: {self.closed})")

    def closed_within(self, timeout: float) -> bool:
        for _ in self.receive(timeout):
            pass
        return self.closed is not None


def decode(data: dict[str, Any]) -> Received:
    """A comm message's fragments as one Bokeh message (the wire format of comm_link.py)."""
    fragments = data["fragments"]
    header, _metadata, content = (json.loads(f) for f in fragments[:3])
    payloads = [base64.b64decode(f["b64"]) for f in fragments[3:] if isinstance(f, dict)]
    assert len(payloads) == header.get("num_buffers", 0), (header, fragments)
    return Received(header, content, payloads)


def bokehjs_over_comm(nb: NotebookKernel, have: list[str]) -> dict[str, list[str]]:
    """What the kernel's BokehJS target sends a page that ran the files ``have``."""
    comm_id = uuid.uuid4().hex
    nb.open_comm(comm_id, BOKEHJS, {"have": have})
    sent: dict[str, list[str]] = {}
    for msg in nb.iopub(20.0):
        if msg["content"].get("comm_id") != comm_id:
            continue
        if msg["msg_type"] == "comm_msg":
            sent = msg["content"]["data"]
        if msg["msg_type"] == "comm_close":
            return sent
    raise AssertionError("the BokehJS comm was not closed within 20 s")
