"""Code the core calls back, in a real kernel: each call made, a failure logged, the rest go on.

Every place that calls callbacks someone else registered goes through one helper
(``core/callbacks.py``): the registry's listeners, a lifecycle's teardowns, watchers
and after-close callbacks, the channel's page listeners, ``print_info()``'s summary
lines, the timer thread and what is stopped at shutdown. Here each place gets a
failing callback registered first and a good one after it: the good one runs, and
the failure is one WARNING with its traceback that names the occasion and the
thread it ran on.
"""

from __future__ import annotations

import re
import uuid

from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

SETUP = """
import logging
from jupyter_sessions import Session, SessionState
from jupyter_sessions.core import channel, diagnostics, runtime, threads

FAILED, HEARD = [], []

class Kept(logging.Handler):
    def emit(self, record):
        FAILED.append({
            "message": record.getMessage(),
            "error": repr(record.exc_info[1]) if record.exc_info else None,
        })

logging.getLogger("jupyter_sessions").addHandler(Kept(logging.WARNING))

def broken(*args):
    raise RuntimeError("callback bug")

def good(name):
    return lambda *args: HEARD.append(name)

class Held(Session):
    kind = "held"

    def _start(self):
        self._defer(good("teardown"))
        self._defer(broken)  # teardowns run newest first: this one fails first

for register in (_registry().subscribe, channel.on_page, runtime.at_shutdown):
    register(broken)
for register, name in ((_registry().subscribe, "event"), (channel.on_page, "page"),
                       (runtime.at_shutdown, "shutdown")):
    register(good(name))
diagnostics.add_summary(broken)
diagnostics.add_summary(lambda: "the good summary")
"""

# What each place says the occasion was, before ": <function broken ...> failed".
OCCASIONS = {
    "event": r"Session event Event\(.*\)",
    "teardown": r"Releasing held session \S+",
    "watcher": r"held session \S+ going FINISHED",
    "after": r"After held session \S+ closed",
    "page": r"Page hello \{.*\}",
    "summary": r"A print_info\(\) summary",
    "timer": r"A callback",
    "shutdown": r"Stopping at shutdown",
}


def failures(nb: NotebookKernel, occasion: str) -> list[dict[str, str]]:
    """The failures logged for ``occasion``, each checked to be the one helper's record."""
    pattern = re.compile(
        rf"({OCCASIONS[occasion]}): <function broken at 0x[0-9a-f]+> failed on thread '([^']+)'"
    )
    found = []
    for failure in nb.value("FAILED"):
        match = pattern.fullmatch(failure["message"])
        if match:
            assert failure["error"] == "RuntimeError('callback bug')", failure
            found.append({"occasion": match[1], "thread": match[2]})
    return found


def test_every_place_that_calls_back_calls_each_and_logs_a_failure_once(
    nb: NotebookKernel,
) -> None:
    ok(nb.run(SETUP))
    ok(
        nb.run(
            "s = open_session(Held(), show=False)\n"
            "s._opened().watch(broken)\ns._opened().watch(good('watcher'))\n"
            "s._opened().when_closed(broken)\ns._opened().when_closed(good('after'))",
            cell_id="cell-a",
        )
    )
    # It ends on its own (its watchers hear that), then its cell lets it go.
    ok(nb.run("s._end(SessionState.FINISHED, 'done')\ns.close()", cell_id="cell-b"))
    nb.open_comm(uuid.uuid4().hex, "jupyter_sessions.v1", {"type": "hello", "origin": "x"})
    info = ok(nb.run("print_info()", cell_id="cell-c"))
    assert "the good summary" in info.displays[0]["data"]["text/html"]
    ok(nb.run("threads.call_later(0, broken)\nthreads.call_later(0, good('timer'))"))
    wait_for(lambda: "timer" in nb.value("HEARD"))
    ok(nb.run("runtime.shutdown()"))

    heard = nb.value("HEARD")
    for name in ("event", "teardown", "watcher", "after", "page", "timer", "shutdown"):
        assert name in heard, (name, heard)
    # A registry event failed on each of the session's four changes (added, RUNNING,
    # FINISHED, removed); each other place once.
    assert len(failures(nb, "event")) == 4
    for occasion in ("teardown", "watcher", "after", "page", "summary", "timer", "shutdown"):
        assert len(failures(nb, occasion)) == 1, (occasion, nb.value("FAILED"))
    (timer,) = failures(nb, "timer")
    assert timer["thread"] == "jupyter-sessions-timer"
    (closing,) = failures(nb, "teardown")
    assert closing["thread"] == "MainThread"
    # Nothing else failed: every record is one of these.
    assert len(nb.value("FAILED")) == sum(len(failures(nb, o)) for o in OCCASIONS)
