"""Calling code someone else registered: each call made, a failure logged, the rest go on.

The core calls back into code it does not own: the registry's listeners, a
lifecycle's watchers and after-close callbacks, the channel's page listeners, the
kinds' ``print_info()`` lines, what is stopped at shutdown, and whatever is handed
to the main loop, the IOPub thread or the timer thread. Whoever registered such a
callback is not on the stack to hear its error, and one failing must stop neither
the others nor the change that called them (as comm's handlers are: logged, not
raised). This module is the one place that says so: every such call goes through
:func:`call_each` or :func:`call_logged`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

R = TypeVar("R")


def call_each(fns: Iterable[Callable[..., R]], *args: Any, what: str) -> list[R]:
    """Call each of ``fns`` with ``args``, in order, on this thread; what they returned.

    A call that raises an Exception is logged (see :func:`call_logged`) and left
    out of the result; the next call is made all the same.
    """
    results: list[R] = []
    for fn in fns:
        results.extend(_called(fn, args, what))
    return results


def call_logged(fn: Callable[..., R], *args: Any, what: str = "A callback") -> R | None:
    """``fn(*args)``'s result; None if it raised, which is logged and never raised.

    The log is a WARNING with the traceback, ``what`` (the occasion: "Session event
    ...") and the thread the call ran on. KeyboardInterrupt and SystemExit propagate.
    """
    result = _called(fn, args, what)
    return result[0] if result else None


def _called(fn: Callable[..., R], args: tuple[Any, ...], what: str) -> list[R]:
    """``[fn(*args)]``, or ``[]`` when it raised (logged)."""
    try:
        return [fn(*args)]
    except Exception:
        log.warning(
            "%s: %r failed on thread %r",
            what,
            fn,
            threading.current_thread().name,
            exc_info=True,
        )
        return []
