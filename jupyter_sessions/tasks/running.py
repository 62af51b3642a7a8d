"""Where a task's ``run()`` runs: a daemon thread of its own, or any executor.

One ``concurrent.futures.Future`` stands for the run either way (an executor's
``submit`` returns it; a thread of its own fills one made beforehand); its end is
the task's end (``Task._run_ended``, its done callback). Stopping cancels a run
still queued in an executor and gives a started one its grace to return.

Threads: the run on its own thread (``jupyter-sessions-task-<id>``) or the
executor's; ``stop`` on whichever thread closes the task, the run's own included.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from ..core.session import StillRunning


def run_on_thread(
    future: concurrent.futures.Future[Any], fn: Callable[..., Any], *args: Any, name: str
) -> None:
    """Run ``fn(*args)`` into ``future`` on a daemon thread called ``name``."""
    threading.Thread(target=_run, args=(future, fn, args), name=name, daemon=True).start()


def _run(future: concurrent.futures.Future[Any], fn: Callable[..., Any], args: Any) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(*args))
    except BaseException as exc:  # a task's failure is data: FAILED, shown in its cell
        future.set_exception(exc)


def stop(
    future: concurrent.futures.Future[Any], grace: float, worker: threading.Thread | None
) -> StillRunning | None:
    """Cancel the run if it has not started, else wait ``grace`` seconds for it to end.

    From the run's own thread (``worker``: ``run()`` closed its task) nothing waits.
    A run still going after its grace is the core's "still running" outcome.
    """
    future.cancel()  # a task still queued in an executor never starts
    if future.done() or threading.current_thread() is worker:
        return None
    try:
        future.result(grace)
    except concurrent.futures.TimeoutError:
        return StillRunning("ignores terminating()", lambda: not future.done())
    except BaseException:  # run()'s own exception: reported by Task._run_ended
        pass
    return None
