"""Persistent kernels shared by key, and the one loop that runs a command on one.

A :class:`SharedKernel` is one Jupyter kernel process (jupyter_client
``KernelManager`` + ``BlockingKernelClient``) with a reference count. The pool
hands out one per key (kernel name, cwd, group); each ``PersistentProcess``
session holds one reference and gives it back when it closes; the last one out
shuts the kernel down. A kernel found dead leaves the pool at once, so the next
``acquire`` of its key starts a fresh one.

Threads: any thread may acquire, release or run a command. Commands (and
completion / is_complete requests, which share the shell channel) run one at a
time per kernel under ``SharedKernel.lock``; ``interrupt`` never takes it, so it
can stop a command another thread is waiting on. Every wait has a timeout and
checks the kernel process every ``POLL`` seconds, so a dead kernel is reported
at once instead of waited on. Between commands, one watcher thread
(``jupyter-sessions-process-watch``, alive only while the pool holds kernels)
checks every ``WATCH_EVERY`` seconds, so an idle kernel's death shows too.

The child kernel is started by jupyter_client with ``subprocess`` (not
multiprocessing, whose resource tracker makes kernel exit hang) in its own
session, with ``JPY_PARENT_PID`` set: an ipykernel child exits by itself when
the notebook kernel dies, even by SIGKILL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from ..core.callbacks import call_each

log = logging.getLogger(__name__)

POLL = 0.1
WATCH_EVERY = 0.5
STOP_GRACE = 2.0
START_ATTEMPTS = 3
Key = tuple[str, str | None, str | None]
Message = dict[str, Any]


class KernelDied(RuntimeError):
    """The kernel process is gone (killed, crashed, exited)."""


class KernelTimeout(RuntimeError):
    """The kernel did not answer within the given time; it may still be running."""


class SharedKernel:
    """One kernel process, reference counted by the pool. See the module docstring."""

    def __init__(self, key: Key, startup_timeout: float) -> None:
        self.key = key
        self.refs = 0
        self.lock = threading.RLock()
        self.history: list[str] = []
        self.dead = False
        self._restarting = False
        self._on_death: list[Callable[[str], None]] = []
        for attempt in range(1, START_ATTEMPTS + 1):
            self._start(startup_timeout)
            if not self.dead:
                return
            if attempt < START_ATTEMPTS:
                log.warning("Kernel %r died at start; starting it again on new ports", key[0])
        raise KernelDied(
            f"it died at start {START_ATTEMPTS} times (its traceback is in the Jupyter "
            "server's log)"
        )

    def _start(self, startup_timeout: float) -> None:
        """One start on fresh ports; ``dead`` afterwards if the process died at start.

        A death at start is usually jupyter_client's port race: it picks free ports
        and releases them, and the kernel binds them a moment later, by which time
        another process may hold one ("Address already in use"). jupyter_client's own
        restarter starts such a kernel again on new ports; so does the pool.

        The connection file (in /tmp, with the kernel's key) is read only while the
        kernel starts, so it goes once the kernel answers: a notebook kernel killed by
        SIGKILL, whose child then exits by itself, leaves none behind. A restart
        writes it again, with the same ports and key.
        """
        self.dead = False
        self.manager = KernelManager(kernel_name=self.key[0])
        cwd = self.key[1]
        self.manager.start_kernel(cwd=cwd) if cwd else self.manager.start_kernel()
        self.client: BlockingKernelClient = self.manager.client()
        try:
            self.client.start_channels()
            self.client.wait_for_ready(timeout=startup_timeout)
            self.manager.cleanup_connection_file()
        except RuntimeError:
            died = self.manager.provisioner is not None and not self._running()
            self.shutdown()
            if not died:  # no answer in time: starting again would not help
                raise
        except BaseException:
            self.shutdown()
            raise

    def _running(self) -> bool:
        process = getattr(self.manager.provisioner, "process", None)
        return process is not None and process.poll() is None

    @property
    def pid(self) -> int | None:
        """The kernel's process id, or None once it is gone."""
        provisioner = self.manager.provisioner
        process = getattr(provisioner, "process", None)
        return int(process.pid) if process is not None else None

    def alive(self) -> bool:
        """True while the kernel process runs; the first False reports the death."""
        if self.dead:
            return False
        if self._restarting:  # the old process is gone on purpose, the new one coming
            return True
        # Popen.poll, not manager.is_alive(): that runs an event loop of its own,
        # left unclosed on whichever thread calls it.
        if self._running():
            return True
        self._died("the kernel process exited")
        return False

    def watch(self, on_death: Callable[[str], None]) -> None:
        """Call ``on_death(reason)`` once if the kernel is found dead (any thread)."""
        self._on_death.append(on_death)

    def unwatch(self, on_death: Callable[[str], None]) -> None:
        if on_death in self._on_death:
            self._on_death.remove(on_death)

    def execute(
        self, code: str, on_message: Callable[[Message], None], timeout: float
    ) -> tuple[str, list[Message]]:
        """Run ``code``; (status, messages in the order the kernel sent them).

        Caller holds ``lock``. Messages of other requests (late output of an
        earlier, timed-out command) are skipped by parent id. Raises KernelDied
        at once if the process dies, KernelTimeout after ``timeout`` seconds.
        """
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
        self.history.append(code)
        deadline = time.monotonic() + timeout
        messages: list[Message] = []
        while True:
            try:
                msg = self._next(self.client.iopub_channel.get_msg, msg_id, deadline)
            except KernelTimeout:
                self._abandon(msg_id)
                raise
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            message = _message(kind, content)
            if message is not None:
                messages.append(message)
                on_message(message)
        reply = self._next(self.client.shell_channel.get_msg, msg_id, deadline + 10.0)
        return str(reply["content"]["status"]), messages

    def _abandon(self, msg_id: str) -> None:
        """Interrupt a timed-out request and drop its remaining output (up to 5 s).

        Without waiting for its end, the kernel would abort the next request
        (stop_on_error) and its late output would be mixed into the next one's.
        """
        self.interrupt()
        deadline = time.monotonic() + 5.0
        try:
            while True:
                msg = self._next(self.client.iopub_channel.get_msg, msg_id, deadline)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return
        except (KernelTimeout, KernelDied):
            log.warning("A timed-out command did not stop within 5 s of an interrupt")

    def request(self, send: Callable[[], str], timeout: float) -> dict[str, Any]:
        """Send a shell request (``send`` returns its msg id); its reply content."""
        deadline = time.monotonic() + timeout
        if not self.lock.acquire(timeout=timeout):
            raise KernelTimeout("a command is running; ask again when it is done")
        try:
            reply = self._next(self.client.shell_channel.get_msg, send(), deadline)
            return dict(reply["content"])
        finally:
            self.lock.release()

    def interrupt(self) -> None:
        """Interrupt the running command (SIGINT or an interrupt request); any thread."""
        if not self.alive():
            return
        spec = self.manager.kernel_spec
        pid = self.pid
        if spec is not None and spec.interrupt_mode == "signal" and pid is not None:
            # The kernel leads its own process group (start_new_session), as
            # jupyter_client's own signal_kernel assumes; no event loop on this thread.
            os.killpg(pid, signal.SIGINT)
        else:
            self.manager.interrupt_kernel()

    def restart(self, timeout: float) -> None:
        """A fresh interpreter in a new process, same connection; history starts over.

        Waits for a running command (never under it: its wait would take the
        restart for a death); interrupts it after 5 s, KernelTimeout after 10 s.
        """
        if not self.lock.acquire(timeout=5.0):
            self.interrupt()
            if not self.lock.acquire(timeout=5.0):
                raise KernelTimeout("a command is still running; interrupt or kill it")
        self._restarting = True
        try:
            self.manager.restart_kernel(now=True)
            self.history.clear()
            self.client.wait_for_ready(timeout=timeout)
            self.manager.cleanup_connection_file()
        finally:
            self._restarting = False
            self.lock.release()

    def kill(self, reason: str) -> None:
        """Kill the process now and report the death to every watcher.

        Reported first: the watcher thread, finding the process gone a moment later,
        then finds the death reported with its reason, not as a plain exit.
        """
        self._died(reason)
        self.shutdown()

    def stop(self) -> None:
        """Shut down once a command still running on another thread was interrupted.

        The last handle's release (a close, or a restart's first half): the command's
        caller gets its KeyboardInterrupt as a normal result, not a vanished kernel.
        Waits at most ``STOP_GRACE`` seconds for it.
        """
        held = self.lock.acquire(timeout=0)
        if not held and self.alive():
            self.interrupt()
            held = self.lock.acquire(timeout=STOP_GRACE)
        try:
            self.shutdown()
        finally:
            if held:
                self.lock.release()

    def shutdown(self) -> None:
        """Stop channels and the process (kill after a short grace); idempotent."""
        self.client.stop_channels()
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.dead = True

    def _died(self, reason: str) -> None:
        with _lock:
            if _kernels.get(self.key) is self:
                del _kernels[self.key]
        if self.dead and not self._on_death:
            return
        self.dead = True
        watchers, self._on_death = self._on_death, []
        call_each(watchers, reason, what=f"Kernel death ({reason})")

    def _next(self, get: Callable[..., Any], msg_id: str, deadline: float) -> Message:
        """The next message answering ``msg_id``; checks the process between polls.

        ``get`` is a channel's own (synchronous) ``get_msg``: the client's
        ``get_iopub_msg`` runs an event loop per calling thread and never closes it.
        """
        while True:
            try:
                msg = get(timeout=POLL)
            except zmq.ZMQError:
                # Another thread found the kernel dead and closed its channels.
                if self.dead:
                    raise KernelDied("the kernel process died") from None
                raise
            except queue.Empty:
                if not self.alive():
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


_lock = threading.Lock()  # guards the pool's maps, never held while a kernel starts
_kernels: dict[Key, SharedKernel] = {}
_starting: dict[Key, threading.Lock] = {}  # kernels of one key start one at a time


def acquire(key: Key, startup_timeout: float, *, fresh: bool = False) -> SharedKernel:
    """The live kernel for ``key`` with one more reference, started if needed.

    Runs on the opener's thread; startup errors propagate (nothing is left running).
    Openers of the same key wait for each other; other keys start in parallel.
    ``fresh``: the caller wants a fresh interpreter (a restart), so a kernel that
    other handles still share is restarted in place.
    """
    with _lock:
        starting = _starting.setdefault(key, threading.Lock())
    with starting:
        with _lock:
            kernel = _kernels.get(key)
            if kernel is not None and not kernel.dead:
                kernel.refs += 1
                return _restarted(kernel, startup_timeout) if fresh else kernel
        kernel = SharedKernel(key, startup_timeout)
        with _lock:
            kernel.refs = 1
            _kernels[key] = kernel
            _watch()
        return kernel


def _restarted(kernel: SharedKernel, startup_timeout: float) -> SharedKernel:
    """``kernel`` restarted in place for a caller holding a reference to it."""
    try:
        kernel.restart(startup_timeout)
    except BaseException as exc:
        kernel.kill(f"restart failed: {exc}")
        release(kernel)
        raise
    return kernel


def release(kernel: SharedKernel) -> None:
    """Drop one reference; the last one shuts the kernel down. Any thread."""
    with _lock:
        kernel.refs -= 1
        last = kernel.refs <= 0
        if last and _kernels.get(kernel.key) is kernel:
            del _kernels[kernel.key]
    if last:
        kernel.stop()
        log.debug("Persistent kernel %s shut down", kernel.key)


_watcher: threading.Thread | None = None


def _watch() -> None:
    """Start the idle-death watcher unless it runs (called under ``_lock``)."""
    global _watcher
    if _watcher is None:
        _watcher = threading.Thread(
            target=_watch_idle, name="jupyter-sessions-process-watch", daemon=True
        )
        _watcher.start()


def _watch_idle() -> None:
    """Check every pooled kernel's process; end once the pool is empty."""
    global _watcher
    try:
        while True:
            time.sleep(WATCH_EVERY)
            with _lock:
                kernels = list(_kernels.values())
                if not kernels:  # decided under the lock, so acquire() starts a new watcher
                    _watcher = None
                    return
            for kernel in kernels:
                kernel.alive()  # a dead one reports itself; its handles release it here
    finally:
        _close_thread_loop()


def _close_thread_loop() -> None:
    """Close the event loop jupyter_client's blocking calls left on this thread."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:  # none was made
        return
    asyncio.set_event_loop(None)
    loop.close()


def live() -> list[SharedKernel]:
    """Kernels currently in the pool."""
    with _lock:
        return list(_kernels.values())
