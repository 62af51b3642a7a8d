"""A real IPython kernel driven the way JupyterLab drives it.

Execute requests carry ``cellId`` and ``deletedCells`` in their metadata (with
``recordTiming``), exactly as JupyterLab 4 sends them; replies and iopub output
are collected per request. Every wait has a timeout.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner


@dataclass
class Reply:
    """What one execute_request produced."""

    status: str
    stdout: str = ""
    stderr: str = ""
    error: dict[str, Any] | None = None
    displays: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    comm_opens: list[dict[str, Any]] = field(default_factory=list)
    comm_msgs: list[dict[str, Any]] = field(default_factory=list)
    comm_closes: list[str] = field(default_factory=list)
    user_expressions: dict[str, Any] = field(default_factory=dict)

    @property
    def session_widgets(self) -> list[str]:
        """Comm ids of the session widgets shown (their Close buttons send on them)."""
        return [
            d["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
            for d in self.displays
            if "application/vnd.jupyter-sessions.session.v1+json" in d["data"]
        ]

    @property
    def traceback(self) -> str:
        return "\n".join(self.error["traceback"]) if self.error else ""


def ok(reply: Reply) -> Reply:
    """``reply``, after checking that its cell ran without error."""
    assert reply.status == "ok", reply.traceback
    return reply


class NotebookKernel:
    """One kernel process with a blocking client; ``close()`` shuts it down.

    ``attach()`` makes a second client on a kernel someone else runs (JupyterLab's,
    in browser tests); closing it leaves that kernel alone.
    """

    def __init__(self, startup_timeout: float = 60.0, env: dict[str, str] | None = None) -> None:
        # The kernel process's own stderr (its log, a dying kernel's last words) in a
        # file of its own: inherited, it would land in whichever test pytest was
        # capturing when the kernel started, often the one before its own.
        self._stderr: IO[str] | None = tempfile.TemporaryFile("w+")  # noqa: SIM115 (close())
        # Unix sockets in a directory of its own, not TCP ports: jupyter_client picks
        # free ports, releases them and the kernel binds them a second later, and on a
        # busy machine something else (another test's kernel or server) can take one
        # in between ("Address already in use", a kernel dead at start: seen in CI).
        self._sockets: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix="nbk-"
        )
        self.manager: KernelManager | None = KernelManager(
            kernel_name="python3",
            transport="ipc",
            connection_file=str(Path(self._sockets.name) / "kernel.json"),
        )
        # ``env``: variables added to this process's for the kernel (its settings).
        self.manager.start_kernel(stderr=self._stderr, env={**os.environ, **(env or {})})
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=startup_timeout)
        except RuntimeError as exc:  # died, or did not answer kernel_info in time
            why = self.stderr()
            self.close()
            raise RuntimeError(f"{exc}; the kernel's stderr:\n{why}") from None

    @classmethod
    def attach(cls, connection_file: Path, timeout: float = 30.0) -> NotebookKernel:
        kernel = cls.__new__(cls)
        kernel.manager = None
        kernel._stderr = None
        kernel._sockets = None
        kernel.client = BlockingKernelClient(connection_file=str(connection_file))
        kernel.client.load_connection_file()
        kernel.client.start_channels()
        kernel.client.wait_for_ready(timeout=timeout)
        return kernel

    @property
    def pid(self) -> int:
        assert self.manager is not None, "an attached kernel's process is not ours"
        provisioner = self.manager.provisioner
        assert isinstance(provisioner, LocalProvisioner) and provisioner.process is not None
        return int(provisioner.process.pid)

    def run(
        self,
        code: str,
        cell_id: str | None = None,
        deleted: tuple[str, ...] | list[str] = (),
        timeout: float = 60.0,
    ) -> Reply:
        """Execute ``code`` as cell ``cell_id`` (None: no cell, as a console does)."""
        metadata: dict[str, Any] = {"recordTiming": False}
        if cell_id is not None:
            metadata["cellId"] = cell_id
            metadata["deletedCells"] = list(deleted)
        return self._unaborted(lambda: self.send_execute(code, metadata), timeout)

    def send_execute(
        self,
        code: str,
        metadata: dict[str, Any],
        subshell_id: str | None = None,
        expressions: dict[str, str] | None = None,
    ) -> str:
        """Send an execute_request; with ``expressions``, a silent one that evaluates them."""
        content = {
            "code": code,
            "silent": bool(expressions),
            "store_history": not expressions,
            "user_expressions": expressions or {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = self.client.session.msg("execute_request", content, metadata=metadata)
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        self.client.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    def collect(self, msg_id: str, timeout: float = 60.0, shell_reply: bool = True) -> Reply:
        """Gather iopub output of ``msg_id`` until idle, then its shell reply if any."""
        deadline = time.monotonic() + timeout
        reply = Reply(status="?")
        while True:
            msg = self._next(self.client.get_iopub_msg, deadline)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                name = "stdout" if content["name"] == "stdout" else "stderr"
                setattr(reply, name, getattr(reply, name) + content["text"])
            elif kind == "display_data":
                reply.displays.append(content)
            elif kind == "update_display_data":
                reply.updates.append(content)
            elif kind == "comm_open":
                reply.comm_opens.append(content)
            elif kind == "comm_msg":
                reply.comm_msgs.append(content)
            elif kind == "comm_close":
                reply.comm_closes.append(content["comm_id"])
            elif kind == "error":
                reply.error = content
        if not shell_reply:
            return reply
        while True:
            shell = self._next(self.client.get_shell_msg, deadline)
            if shell["parent_header"].get("msg_id") == msg_id:
                reply.status = shell["content"]["status"]
                reply.user_expressions = shell["content"].get("user_expressions", {})
                return reply

    def value(self, expr: str, timeout: float = 60.0) -> Any:
        """Evaluate ``expr`` in the kernel (outside any cell) and return it via JSON.

        A silent execution: it leaves nothing in the kernel. IPython keeps the printed
        output of every execution that stores history, and tests poll this often
        (a soak test measures the kernel's memory).
        """
        return self._evaluate(expr, timeout, None)

    def value_now(self, expr: str, subshell_id: str, timeout: float = 10.0) -> Any:
        """Evaluate ``expr`` on a subshell: answers while the main shell is busy."""
        return self._evaluate(expr, timeout, subshell_id)

    def _evaluate(self, expr: str, timeout: float, subshell_id: str | None) -> Any:
        probe = f"__import__('json').dumps({expr})"
        expressions = {"value": probe}
        reply = self._unaborted(
            lambda: self.send_execute("", {}, subshell_id, expressions=expressions), timeout
        )
        result = reply.user_expressions.get("value", {})
        if reply.status != "ok" or result.get("status") != "ok":
            why = "\n".join(result.get("traceback", [])) or reply.traceback
            raise AssertionError(f"{expr!r} failed:\n{why}")
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))

    def _unaborted(self, send: Callable[[], str], timeout: float) -> Reply:
        """The reply to the request ``send()`` sends, sent again while it is aborted.

        ipykernel 6 aborts, unrun, a request that reaches it just after a cell raised
        (stop_on_error), as it aborts a notebook's queued cells (seen on the floors of
        ``make pythons``). A test's next request is not one of those: it asks again.
        """
        deadline = time.monotonic() + timeout
        while True:
            reply = self.collect(send(), max(deadline - time.monotonic(), 1.0))
            if reply.status != "aborted" or time.monotonic() > deadline:
                return reply

    def press_close(self, widget: str, session_id: str) -> str:
        """Press a session widget's Close button, as its JavaScript does; returns the msg id.

        The widget names its session in each message (``core/messages.py``).
        """
        close = {"type": "close", "session_id": session_id}
        return self.send_comm_msg(widget, {"method": "custom", "content": close})

    def send_comm_msg(
        self, comm_id: str, data: dict[str, Any], subshell_id: str | None = None
    ) -> str:
        """Send a comm message as a frontend would; returns its msg id."""
        return self._send_shell("comm_msg", {"comm_id": comm_id, "data": data}, subshell_id)

    def open_comm(
        self, comm_id: str, target: str, data: dict[str, Any], subshell_id: str | None = None
    ) -> str:
        """Open a comm to ``target`` as JupyterLab's ``kernel.createComm().open()`` does."""
        content = {"comm_id": comm_id, "target_name": target, "data": data}
        return self._send_shell("comm_open", content, subshell_id)

    def close_comm(self, comm_id: str) -> str:
        """Close a comm as a frontend does (on the main shell); returns its msg id."""
        return self._send_shell("comm_close", {"comm_id": comm_id, "data": {}}, None)

    def create_subshell(self, timeout: float = 10.0) -> str:
        """A kernel subshell (ipykernel 7), as JupyterLab >= 4.4 makes one per comm target."""
        msg = self.client.session.msg("create_subshell_request", {})
        self.client.control_channel.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(self.client.get_control_msg, deadline)
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                return str(reply["content"]["subshell_id"])

    def iopub(self, timeout: float) -> Iterator[dict[str, Any]]:
        """Every iopub message the kernel publishes within ``timeout`` s, whichever cell."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                yield self.client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return

    def display_update(
        self, display_id: str, reply: Reply | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The update of display ``display_id``: in ``reply``, or published after it.

        A session closed in a cell has its output retired once that cell replied.
        """
        for content in reply.updates if reply is not None else []:
            if content["transient"]["display_id"] == display_id:
                return content
        for msg in self.iopub(timeout):
            content = msg["content"]
            if (
                msg["msg_type"] == "update_display_data"
                and content["transient"]["display_id"] == display_id
            ):
                return dict(content)
        raise AssertionError(f"display {display_id} was not updated within {timeout} s")

    def comm_closed(self, comm_id: str, reply: Reply | None = None, timeout: float = 10.0) -> bool:
        """Whether the kernel closed comm ``comm_id``: in ``reply``, or after it.

        A closed session's widget closes with its output, once the closing cell replied.
        """
        if reply is not None and comm_id in reply.comm_closes:
            return True
        return any(
            msg["msg_type"] == "comm_close" and msg["content"]["comm_id"] == comm_id
            for msg in self.iopub(timeout)
        )

    def comm_messages(self, comm_id: str, timeout: float = 2.0) -> list[dict[str, Any]]:
        """The data of every comm_msg the kernel sends on ``comm_id`` within ``timeout`` s."""
        return [
            msg["content"]["data"]
            for msg in self.iopub(timeout)
            if msg["msg_type"] == "comm_msg" and msg["content"].get("comm_id") == comm_id
        ]

    def _send_shell(self, kind: str, content: dict[str, Any], subshell_id: str | None) -> str:
        msg = self.client.session.msg(kind, content)
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        self.client.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    def shutdown(self, timeout: float = 30.0) -> None:
        """Ask the kernel to shut down, as JupyterLab does, and wait for the process."""
        assert self.manager is not None, "an attached kernel is not ours to shut down"
        self.client.shutdown()
        deadline = time.monotonic() + timeout
        while self.manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.close()

    def stderr(self, tail: int = 4000) -> str:
        """The end of what the kernel process wrote to its stderr (ours only)."""
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-tail:]

    def close(self) -> None:
        self.client.stop_channels()
        if self.manager is not None and self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        if self._stderr is not None:
            self._stderr.close()
        if self._sockets is not None:
            self._sockets.cleanup()

    @staticmethod
    def _next(get: Any, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the kernel did not answer in time")
        try:
            return dict(get(timeout=left))
        except queue.Empty:
            raise TimeoutError("the kernel did not answer in time") from None
