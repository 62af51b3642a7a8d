"""An IPython shell in this process with the package installed, and what a page is sent.

For tests that must drive the core from several threads at once (``test_concurrency``):
a real kernel runs every shell message on its one main thread, so only an in-process
shell lets a test's own threads be the kernel's main thread and its comm threads at
the same moment. The shell, its hooks, the comm manager and the package are the real
ones; the display publisher and the comms record what they would send a page instead
of sending it.
"""

from __future__ import annotations

import atexit
import functools
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import comm
from comm import get_comm_manager
from comm.base_comm import BaseComm
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from jupyter_sessions.core import cells, runtime
from jupyter_sessions.core.messages import FEED_TARGET, TARGET
from jupyter_sessions.core.output import MIME_TYPE

# How often a running thread hands over the GIL, in s (Python's default is 0.005):
# handing over far more often makes the rare interleavings common.
SWITCH_INTERVAL_S = 1e-6


class Frontend(DisplayPublisher):
    """The shell's display publisher: keeps what the kernel would send the page, in order.

    Comm messages too (``PageComm``): those to the page's feed are its side panel's list.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self.sent: list[tuple[str | None, bool, dict[str, Any]]] = []
        self.last_comm_msg: dict[str, Any] = {}

    def comm_publish(self, comm_id: str, msg_type: str, data: Any) -> None:
        if msg_type == "comm_msg":
            with self._lock:
                self.last_comm_msg[comm_id] = data

    def listed(self, comm_id: str) -> list[str]:
        """The session ids in the last list of sessions sent on comm ``comm_id``."""
        with self._lock:
            last = self.last_comm_msg[comm_id]
        return [session["id"] for session in last["sessions"]]

    def publish(
        self,
        data: dict[str, Any],
        metadata: Any = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        with self._lock:
            self.sent.append(((transient or {}).get("display_id"), update, data))

    def clear(self) -> None:
        """Forget the outputs sent (a new page)."""
        with self._lock:
            self.sent.clear()

    def shown(self) -> list[tuple[str | None, dict[str, Any]]]:
        """The session outputs displayed so far (not their updates), with their display ids."""
        with self._lock:
            return [
                (did, data) for did, update, data in self.sent if not update and MIME_TYPE in data
            ]

    def last(self, display_id: str) -> dict[str, Any]:
        """What the output ``display_id`` shows now."""
        with self._lock:
            return [data for did, _, data in self.sent if did == display_id][-1]


class PageComm(BaseComm):
    """The comms of the test's kernel: what they send goes to the ``Frontend``.

    ``comm.create_comm`` is meant to be replaced by the kernel (ipykernel sends on
    iopub); the fixture replaces it with this.
    """

    def __init__(self, page: Frontend, *args: Any, **kwargs: Any) -> None:
        self._page = page
        super().__init__(*args, **kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        self._page.comm_publish(self.comm_id, msg_type, data)


@dataclass
class Kernel:
    """The in-process kernel: its shell, what the page was sent, the page's two comms."""

    shell: InteractiveShell
    frontend: Frontend
    page: str
    feed: str


@contextmanager
def inprocess_kernel() -> Iterator[Kernel]:
    """An IPython shell with the package installed and a page connected over both comms."""
    assert not InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config, display_pub_class=Frontend)
    atexit.unregister(shell.atexit_operations)
    frontend = shell.display_pub
    create_comm, comm.create_comm = comm.create_comm, functools.partial(PageComm, frontend)
    runtime.ensure_installed()
    assert cells.pre_run_cell in shell.events.callbacks["pre_run_cell"]
    manager = get_comm_manager()
    page, feed = uuid.uuid4().hex, uuid.uuid4().hex
    for comm_id, target in ((page, TARGET), (feed, FEED_TARGET)):
        manager.comm_open(
            None, None, {"content": {"comm_id": comm_id, "target_name": target, "data": {}}}
        )
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield Kernel(shell, frontend, page, feed)
    finally:
        sys.setswitchinterval(switch_interval)
        for comm_id in (page, feed):
            manager.comm_close(None, None, {"content": {"comm_id": comm_id, "data": {}}})
        runtime.uninstall()
        comm.create_comm = create_comm
        InteractiveShell.clear_instance()
