"""A block that must end in KeyboardInterrupt, as the kernel's interrupt button ends a cell.

For tests that run sessions in this process (PyMOL's): SIGINT reaches the main thread
after a delay, with Python's handler installed for the block as ipykernel installs it
around each cell. PyMOL's start() installs a C handler of its own, which sessions must
put back: the block first checks that SIGINT's C handler is still the one this process
started with.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# SIGINT's C handler as this process started: a C library's left behind differs.
_LIBC = ctypes.CDLL(None)


def _sigint_action() -> bytes:
    action = ctypes.create_string_buffer(1024)  # larger than any struct sigaction
    _LIBC.sigaction(signal.SIGINT, None, action)
    return action.raw[:8]  # sa_handler


# Read when this module is first imported: at collection, before any test ran.
_STARTING_SIGINT = _sigint_action()


@contextmanager
def interrupted_after(delay: float) -> Iterator[None]:
    """The block must end in KeyboardInterrupt: SIGINT reaches the main thread in ``delay`` s.

    As the kernel's interrupt button does, with Python's handler installed for the
    block as ipykernel installs it around each cell (a process started in the
    background, ``make test-loaded &``, inherits SIGINT ignored). First, SIGINT's C
    handler must still be the one this process started with: PyMOL's start() installs
    its own, which sessions must put back.
    """
    assert _sigint_action() == _STARTING_SIGINT, "a C library's SIGINT handler was left"
    main = threading.main_thread().ident
    assert main is not None and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(delay, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        yield
    except KeyboardInterrupt:
        return
    finally:
        timer.cancel()  # the block ended first: no SIGINT after it, outside the block
        timer.join(10)
        signal.signal(signal.SIGINT, previous)
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    raise AssertionError(f"no KeyboardInterrupt (SIGINT blocked on the main thread: {blocked})")
