"""A command run on a shared kernel, and the shell requests beside it.

``execute`` runs code and hands on each message it produced, in the order the
kernel sent them; ``request`` sends a completion or is_complete request and
returns its reply. Both wait under the kernel's ``lock`` (one at a time per
kernel), and every wait has a timeout and checks the kernel process every
``POLL`` seconds, so a dead kernel is reported at once instead of waited on.
A command that times out is interrupted and its late output dropped.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

import zmq

from .kernel import KernelDied, KernelTimeout, SharedKernel

log = logging.getLogger(__name__)

POLL = 0.1
Message = dict[str, Any]


def execute(
    kernel: SharedKernel, code: str, on_message: Callable[[Message], None], timeout: float
) -> tuple[str, list[Message]]:
    """Run ``code``; (status, messages in the order the kernel sent them).

    Caller holds ``kernel.lock``. Messages of other requests (late output of an
    earlier, timed-out command) are skipped by parent id. Raises KernelDied
    at once if the process dies, KernelTimeout after ``timeout`` seconds.
    """
    msg_id = kernel.client.execute(code, store_history=True, allow_stdin=False)
    kernel.history.append(code)
    deadline = time.monotonic() + timeout
    messages: list[Message] = []
    while True:
        try:
            msg = _next(kernel, kernel.client.iopub_channel.get_msg, msg_id, deadline)
        except KernelTimeout:
            _abandon(kernel, msg_id)
            raise
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        message = _message(kind, content)
        if message is not None:
            messages.append(message)
            on_message(message)
    reply = _next(kernel, kernel.client.shell_channel.get_msg, msg_id, deadline + 10.0)
    return str(reply["content"]["status"]), messages


def _abandon(kernel: SharedKernel, msg_id: str) -> None:
    """Interrupt a timed-out request and drop its remaining output (up to 5 s).

    Without waiting for its end, the kernel would abort the next request
    (stop_on_error) and its late output would be mixed into the next one's.
    """
    kernel.interrupt()
    deadline = time.monotonic() + 5.0
    try:
        while True:
            msg = _next(kernel, kernel.client.iopub_channel.get_msg, msg_id, deadline)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
    except (KernelTimeout, KernelDied):
        log.warning("A timed-out command did not stop within 5 s of an interrupt")


def request(kernel: SharedKernel, send: Callable[[], str], timeout: float) -> dict[str, Any]:
    """Send a shell request (``send`` returns its msg id); its reply content."""
    deadline = time.monotonic() + timeout
    if not kernel.lock.acquire(timeout=timeout):
        raise KernelTimeout("a command is running; ask again when it is done")
    try:
        reply = _next(kernel, kernel.client.shell_channel.get_msg, send(), deadline)
        return dict(reply["content"])
    finally:
        kernel.lock.release()


def _next(kernel: SharedKernel, get: Callable[..., Any], msg_id: str, deadline: float) -> Message:
    """The next message answering ``msg_id``; checks the process between polls.

    ``get`` is a channel's own (synchronous) ``get_msg``: the client's
    ``get_iopub_msg`` runs an event loop per calling thread and never closes it.
    """
    while True:
        try:
            msg = get(timeout=POLL)
        except zmq.ZMQError:
            # Another thread found the kernel dead and closed its channels.
            if kernel.dead:
                raise KernelDied("the kernel process died") from None
            raise
        except queue.Empty:
            if not kernel.alive():
                raise KernelDied("the kernel process died") from None
            if time.monotonic() > deadline:
                raise KernelTimeout("the kernel did not answer in time") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return dict(msg)


def _message(kind: str, content: dict[str, Any]) -> Message | None:
    """The seed's message shape: {"type": "stdout"|"stderr"|..., "data": ...}."""
    if kind == "stream":
        return {"type": content["name"], "data": content["text"]}
    if kind in ("display_data", "execute_result", "update_display_data"):
        return {"type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
    if kind == "error":
        return {"type": "error", "data": {k: content[k] for k in ("ename", "evalue", "traceback")}}
    if kind == "clear_output":
        return {"type": kind, "data": content}
    return None
