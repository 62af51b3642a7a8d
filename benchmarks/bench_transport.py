"""A view's two transports side by side: the kernel's channel (a comm) against the
direct websocket, same session, same kernel, one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_transport.py [--seconds N]

A REAL IPython kernel (``tests/support/notebook_kernel.py``) opens one session whose
periodic callback (every 0.25 s, the floor) stamps each update with the kernel's
``time.time()``. Two clients watch the same session at the same time, as two
pages would: a websocket client (``tests/support/bokeh_client.py``, what BokehJS does over
the direct websocket) and a comm client speaking the wire format of
``jupyter_sessions/bokeh/comm_link.py`` through jupyter_client (what the page does
over the kernel's channel). Each update's latency is its arrival minus its stamp
(same machine, same clock); its size is the bytes of its frames or comm message.
Measured idle, then while another cell is busy (``time.sleep``).

Prints the machine and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.*
warnings.filterwarnings("ignore", category=DeprecationWarning)

import websocket  # noqa: E402
from timing import machine, percentile  # noqa: E402

from tests.support.bokeh_client import DEFAULT_ORIGIN  # noqa: E402
from tests.support.notebook_kernel import NotebookKernel, ok  # noqa: E402

PERIOD = 0.25
SETUP = """
import time
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from jupyter_sessions import BokehSession, open_session
from jupyter_sessions.bokeh.shared_server import running_server

class Stamped(BokehSession):
    callback_period = 0.25
    def setup_model(self):
        self.source = ColumnDataSource(data=dict(x=list(range(50)), y=[0.0] * 50, t=[0.0]))
        plot = figure(height=200, width=400)
        plot.line("x", "y", source=self.source)
        return plot
    def periodic_callback(self):
        import random
        self.source.data = dict(x=list(range(50)), y=[random.random() for _ in range(50)],
                                t=[time.time()])
"""


@dataclass
class Watch:
    """What one client saw of the session's updates: latencies (s) and sizes (bytes)."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def add(self, content: dict[str, Any], size: int) -> None:
        stamp = _stamp(content)
        if stamp is not None:
            self.latencies.append(time.time() - stamp)
            self.sizes.append(size)


def _stamp(content: dict[str, Any]) -> float | None:
    """The kernel's time.time() in a PATCH-DOC's new ``t`` column (ColumnDataChanged)."""
    for event in content.get("events", []):
        data = event.get("data")
        entries = data.get("entries") if isinstance(data, dict) else None
        for key, value in entries or ():
            if key == "t" and isinstance(value, list) and value:
                return float(value[0])
    return None


def connect_websocket(app_url: str, token: str) -> websocket.WebSocket:
    """A websocket client (BokehJS's way) that has pulled the document."""
    ws = websocket.create_connection(
        app_url.replace("http://", "ws://", 1) + "/ws",
        subprotocols=["bokeh", token],
        origin=DEFAULT_ORIGIN,
        timeout=10,
    )
    _recv_message(ws)  # ACK
    for part in ({"msgid": "w1", "msgtype": "PULL-DOC-REQ"}, {}, {}):
        ws.send(json.dumps(part))
    while _recv_message(ws)[0]["msgtype"] != "PULL-DOC-REPLY":
        pass
    return ws


def watch_websocket(ws: websocket.WebSocket, seconds: float) -> Watch:
    """The PATCH-DOCs the websocket client gets for ``seconds``; closes it."""
    seen = Watch()
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            ws.settimeout(left)
            try:
                header, content, size = _recv_message(ws)
            except websocket.WebSocketTimeoutException:
                break
            if header["msgtype"] == "PATCH-DOC":
                seen.add(content, size)
    finally:
        ws.close()
    return seen


def _recv_message(ws: websocket.WebSocket) -> tuple[dict[str, Any], dict[str, Any], int]:
    frames = [ws.recv() for _ in range(3)]
    header = json.loads(frames[0])
    for _ in range(header.get("num_buffers", 0) * 2):
        frames.append(ws.recv())
    return header, json.loads(frames[2]), sum(len(f) for f in frames)


def connect_comm(nb: NotebookKernel, token: str, timeout: float = 30.0) -> str:
    """A comm client (the page's way over the kernel's channel) that has pulled the doc."""
    comm_id = uuid.uuid4().hex
    nb.open_comm(comm_id, "jupyter_sessions.bokeh.view.v1", {"token": token})
    for msgtype in _comm_messages(nb, comm_id, timeout):
        if msgtype == "ACK":
            pull = json.dumps({"msgid": "c1", "msgtype": "PULL-DOC-REQ"})
            nb.send_comm_msg(comm_id, {"fragments": [pull, "{}", "{}"]})
        elif msgtype == "PULL-DOC-REPLY":
            return comm_id
    raise TimeoutError("the comm view did not connect")


def _comm_messages(nb: NotebookKernel, comm_id: str, timeout: float) -> Iterator[str]:
    for msg in nb.iopub(timeout):
        content = msg["content"]
        if msg["msg_type"] == "comm_msg" and content.get("comm_id") == comm_id:
            yield json.loads(content["data"]["fragments"][0])["msgtype"]


def watch_comm(nb: NotebookKernel, comm_id: str, seconds: float) -> Watch:
    """The PATCH-DOCs the comm client gets for ``seconds``; closes it."""
    seen = Watch()
    for msg in nb.iopub(seconds):
        content = msg["content"]
        if msg["msg_type"] != "comm_msg" or content.get("comm_id") != comm_id:
            continue
        fragments = content["data"]["fragments"]
        if json.loads(fragments[0])["msgtype"] == "PATCH-DOC":
            seen.add(json.loads(fragments[2]), len(json.dumps(content["data"])))
    nb.close_comm(comm_id)
    return seen


def measure(nb: NotebookKernel, seconds: float, busy: bool) -> dict[str, Watch]:
    """Both clients at once for ``seconds``; with a cell sleeping meanwhile if ``busy``.

    Both connect first, as pages that show the view already: a comm_open itself waits
    for the main shell, like any message a page sends there.
    """
    app_url = nb.value("running_server().app_url")
    tokens = [nb.value("running_server().token(s.view_id)") for _ in range(2)]
    ws = connect_websocket(app_url, tokens[0])
    comm_id = connect_comm(nb, tokens[1])
    results: dict[str, Watch] = {}
    ws_thread = threading.Thread(
        target=lambda: results.__setitem__("websocket", watch_websocket(ws, seconds))
    )
    ws_thread.start()
    busy_id = nb.send_execute(f"time.sleep({seconds})", {"cellId": "busy"}) if busy else None
    results["comm"] = watch_comm(nb, comm_id, seconds)
    ws_thread.join(seconds + 30)
    if busy_id is not None:
        ok(nb.collect(busy_id, timeout=seconds + 60))
    return results


def row(name: str, watch: Watch, seconds: float) -> str:
    nominal = seconds / PERIOD
    lat = [x * 1000 for x in watch.latencies]
    p50 = percentile(lat, 0.5) if lat else float("nan")
    p95 = percentile(lat, 0.95) if lat else float("nan")
    size = sum(watch.sizes) / len(watch.sizes) if watch.sizes else float("nan")
    return (
        f"| {name} | {p50:.1f} / {p95:.1f} | {len(lat) / seconds:.2f} "
        f"({100 * len(lat) / nominal:.0f}%) | {size:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(machine("bokeh", "ipykernel", "jupyter-sessions"))
    nb = NotebookKernel()
    try:
        ok(nb.run(SETUP))
        ok(nb.run("s = open_session(Stamped())", cell_id="view"))
        print(
            "\n| Transport, state | update latency p50 / p95 (ms) | updates/s "
            f"(of {1 / PERIOD:.0f} nominal) | bytes per update |"
        )
        print("|---|---|---|---|")
        for busy in (False, True):
            state = "busy cell" if busy else "idle"
            results = measure(nb, args.seconds, busy)
            for name in ("websocket", "comm"):
                print(row(f"{name}, {state}", results[name], args.seconds), flush=True)
    finally:
        nb.close()


if __name__ == "__main__":
    main()
