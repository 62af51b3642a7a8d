"""One persistent kernel process, which handles share: started, watched, stopped.

A :class:`SharedKernel` is one Jupyter kernel process (jupyter_client
``KernelManager`` + ``BlockingKernelClient``) with a reference count, kept by the
pool (``pool.py``) for every handle of its key. It starts again on new ports if it
dies at start, reports its death once to every handle watching it, and can be
interrupted, restarted in place, killed and shut down.

Threads: any. ``lock`` is held while a command or request runs (``commands.py``);
``interrupt`` never takes it, so it can stop a command another thread is waiting
on; ``restart`` and ``stop`` take it, and interrupt a command that keeps it.

The child kernel is started by jupyter_client with ``subprocess`` (not
multiprocessing, whose resource tracker makes kernel exit hang) in its own
session, with ``JPY_PARENT_PID`` set: an ipykernel child exits by itself when
the notebook kernel dies, even by SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from ..core.callbacks import call_each

log = logging.getLogger(__name__)

STOP_GRACE = 2.0
START_ATTEMPTS = 3
Key = tuple[str, str | None, str | None]


class KernelDied(RuntimeError):
    """The kernel process is gone (killed, crashed, exited)."""


class KernelTimeout(RuntimeError):
    """The kernel did not answer within the given time; it may still be running."""


class SharedKernel:
    """One kernel process, reference counted by the pool. See the module docstring.

    ``forget(kernel)``: the pool lets go of it, called first when it is found dead.
    """

    def __init__(
        self, key: Key, startup_timeout: float, forget: Callable[[SharedKernel], None]
    ) -> None:
        self.key = key
        self._forget = forget
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
        """Found dead: out of the pool first, then each watcher told once."""
        self._forget(self)
        if self.dead and not self._on_death:
            return
        self.dead = True
        watchers, self._on_death = self._on_death, []
        call_each(watchers, reason, what=f"Kernel death ({reason})")
