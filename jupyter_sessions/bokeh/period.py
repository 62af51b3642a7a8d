"""A periodic callback's period: what ``callback_period`` may be, checked once for all.

A bad period is a ``ValueError`` that names it, raised in the cell that gave it,
before anything starts; one below the floor is raised to it, with a warning.
"""

from __future__ import annotations

import logging
import math
import numbers

log = logging.getLogger(__name__)

MIN_PERIOD = 0.25  # seconds; the seed's floor, below which browsers fall behind


def checked_period(period: object) -> float | None:
    """``period`` in seconds, floored at 0.25 s; ValueError if it is not a positive number."""
    if period is None:
        return None
    if isinstance(period, bool) or not isinstance(period, numbers.Real):
        raise ValueError(f"callback_period must be a number of seconds or None, not {period!r}")
    value = float(period)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"callback_period must be a positive number of seconds, not {period!r}")
    if value < MIN_PERIOD:
        log.warning("callback_period %s s is below the %s s floor; using it", value, MIN_PERIOD)
    return max(value, MIN_PERIOD)
