"""Waiting for a condition: poll it with a timeout, and say what it was when time ran out.

Tests wait on the condition itself, never a fixed sleep: a loaded machine is late,
and a sleep long enough for it makes every run slow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it is truthy; return its value or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        time.sleep(interval)


def wait_equal(
    read: Callable[[], Any], expected: Any, timeout: float = 10.0, interval: float = 0.1
) -> None:
    """``wait_for`` the value ``read()`` returns to equal ``expected``; a failure says
    what it was last (a count that never settles says where it stopped)."""
    last: list[Any] = [None]

    def equal() -> bool:
        last[0] = read()
        return bool(last[0] == expected)

    try:
        wait_for(equal, timeout, interval)
    except AssertionError:
        raise AssertionError(f"{last[0]!r} != {expected!r} after {timeout} s: {read}") from None
