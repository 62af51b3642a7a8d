"""A browser's side of a Bokeh view, without a browser: autoload.js, then the websocket.

Does what BokehJS does when a cell's HTML output loads: fetch ``autoload.js`` with
the view id from the output, take the token the server put in it, open the
websocket with that token and an ``Origin`` header, and pull the document. Then
it counts the PATCH-DOC messages the server pushes (one per changed tick).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import websocket

DEFAULT_ORIGIN = "http://localhost:8888"


def autoload_url(app_url: str, view_id: str | None) -> str:
    """The URL a cell's HTML output loads to show view ``view_id``."""
    query = {
        "bokeh-autoload-element": "jupyter-sessions-test",
        "bokeh-app-path": "/session",
        "bokeh-absolute-url": app_url,
    }
    if view_id is not None:
        query["bokeh-session-id"] = view_id
    return f"{app_url}/autoload.js?{urllib.parse.urlencode(query)}"


def fetch_token(app_url: str, view_id: str | None, timeout: float = 10.0) -> str:
    """The websocket token the server hands out for ``view_id`` (HTTPError if refused)."""
    with urllib.request.urlopen(autoload_url(app_url, view_id), timeout=timeout) as response:
        js = response.read().decode()
    match = re.search(r'"token":"([^"]+)"', js)
    if match is None:
        raise AssertionError("autoload.js carries no token")
    return match.group(1)


@dataclass
class Message:
    """One Bokeh protocol message: header, metadata, content (buffers skipped)."""

    header: dict[str, Any]
    content: dict[str, Any]

    @property
    def msgtype(self) -> str:
        return str(self.header["msgtype"])


@dataclass
class ViewClient:
    """A websocket connection to one view, as BokehJS makes it."""

    ws: websocket.WebSocket
    patches: list[float] = field(default_factory=list)
    _n: int = 0

    @classmethod
    def connect(
        cls, app_url: str, token: str, origin: str = DEFAULT_ORIGIN, timeout: float = 10.0
    ) -> ViewClient:
        ws_url = app_url.replace("http://", "ws://", 1) + "/ws"
        ws = websocket.create_connection(
            ws_url, subprotocols=["bokeh", token], origin=origin, timeout=timeout
        )
        client = cls(ws)
        try:
            ack = client.receive(timeout)
            assert ack is not None and ack.msgtype == "ACK", ack
        except BaseException:
            client.close()
            raise
        return client

    def send(self, msgtype: str, content: dict[str, Any]) -> None:
        self._n += 1
        header = {"msgid": f"test-{self._n}", "msgtype": msgtype}
        for part in (header, {}, content):
            self.ws.send(json.dumps(part))

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None if none came within ``timeout`` s."""
        self.ws.settimeout(timeout)
        try:
            frame = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        if not frame:  # Bokeh refuses a bad token by closing right after the handshake.
            raise websocket.WebSocketConnectionClosedException("closed by the server")
        header = json.loads(frame)
        self.ws.recv()  # metadata
        content = json.loads(self.ws.recv())
        for _ in range(header.get("num_buffers", 0) * 2):
            self.ws.recv()
        return Message(header, content)

    def pull(self, timeout: float = 10.0) -> Message:
        """Ask for the document, as BokehJS does after connecting."""
        self.send("PULL-DOC-REQ", {})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.receive(deadline - time.monotonic())
            if msg is not None and msg.msgtype == "PULL-DOC-REPLY":
                return msg
        raise AssertionError("no PULL-DOC-REPLY")

    def count_patches(self, seconds: float) -> int:
        """Receive for ``seconds``; return how many PATCH-DOC messages arrived."""
        deadline = time.monotonic() + seconds
        count = 0
        while (left := deadline - time.monotonic()) > 0:
            msg = self.receive(left)
            if msg is not None and msg.msgtype == "PATCH-DOC":
                count += 1
                self.patches.append(time.monotonic())
        return count

    def patches_arrive(self, count: int, timeout: float = 15.0) -> bool:
        """True once ``count`` PATCH-DOC messages arrived, False if ``timeout`` s pass first.

        For "updates keep coming": waits on the messages, so a busy machine that
        delivers them late still passes, and one that never delivers them fails.
        """
        deadline = time.monotonic() + timeout
        received = 0
        while received < count and (left := deadline - time.monotonic()) > 0:
            msg = self.receive(left)
            if msg is not None and msg.msgtype == "PATCH-DOC":
                received += 1
                self.patches.append(time.monotonic())
        return received >= count

    def closed_by_server(self, timeout: float) -> bool:
        """True if the server closes the websocket within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.ws.settimeout(left)
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return False
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                return True
            if frame in ("", b""):
                return True
        return False

    def close(self) -> None:
        """Close the websocket, and its socket even if the server closed first."""
        self.ws.close()
        self.ws.shutdown()  # type: ignore[no-untyped-call]  # websocket-client is untyped


def http_status(url: str, timeout: float = 10.0) -> int:
    """The HTTP status of GET ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
