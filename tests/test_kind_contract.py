"""Writing a session kind: the README's contract, used with public names only, in a real kernel.

The kind here (a thread that polls until told to stop) is what a user of the package
would write; it imports nothing but ``jupyter_sessions``' exports and overrides only
the documented hooks. Each test is one promise of the one lifecycle: re-run closes
it, a close that comes while it starts loses nothing, ending on its own, "must be
running", "still running after close", and one start protocol for open and restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_sessions import MIME_TYPE, Session

from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, Reply, ok
from .support.waits import wait_for

KIND = '''
import threading, time
from jupyter_sessions import (Session, SessionError, SessionState, StillRunning,
                              open_session, sessions)

RELEASED = []


class Poller(Session):
    """Polls on a thread of its own until its cell lets it go."""

    kind = "poller"

    def __init__(self, obey=True, close_during_start=False, fail_start=False):
        self.obey = obey
        self.close_during_start = close_during_start
        self.fail_start = fail_start
        self.stop = threading.Event()
        self.finish = threading.Event()  # lets a poller that ignores stop end after all

    def _start(self):
        if self.fail_start:
            raise SessionError("no device to poll") from OSError("port 7 busy")
        self.stop.clear()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        if self.close_during_start:  # as a comm thread would, while _start runs
            closer = threading.Thread(target=self.close)
            closer.start()
            closer.join(10)
        self._defer(self._halt, self.thread)

    def _poll(self):
        while not self.finish.is_set() and not (self.obey and self.stop.is_set()):
            time.sleep(0.01)

    def _halt(self, thread):
        self.stop.set()
        thread.join(0.5)
        RELEASED.append(self.id)
        if thread.is_alive():
            return StillRunning("ignores its stop event", thread.is_alive)
        return None

    def _ended_error(self):
        return SessionError(f"{self!r} lost its device ({self.error}); run its cell again")

    def _info(self):
        return {"obey": self.obey}

    def ping(self):
        self._ensure_running()
        return "pong"

    def lose_device(self):
        self._end(SessionState.CRASHED, "the device went away")

    def restart(self):
        self._restart()

    def break_down(self):
        self._end(SessionState.FAILED, "the device broke")


def rows():
    return [(r["type"], r["state"], r["error"]) for r in sessions()]
'''


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(KIND) as nb:
        yield nb


def session_bundles(reply: Reply) -> list[dict[str, object]]:
    """The data of this project's mime type in a cell's displays and display updates."""
    return [d["data"][MIME_TYPE] for d in reply.displays + reply.updates if MIME_TYPE in d["data"]]


def test_rerun_and_delete_close_a_kind_written_with_the_public_contract(
    kernel: NotebookKernel,
) -> None:
    first = ok(kernel.run("p = open_session(Poller()); print(p.id)", cell_id="a")).stdout.strip()
    second = ok(kernel.run("p = open_session(Poller()); print(p.id)", cell_id="a")).stdout.strip()
    assert kernel.value("RELEASED") == [first]
    assert kernel.value("rows()") == [["Poller", "RUNNING", None]]
    ok(kernel.run("x = 1", cell_id="b", deleted=["a"]))
    assert kernel.value("RELEASED") == [first, second] and kernel.value("rows()") == []


def test_a_close_during_start_releases_what_start_took_and_shows_no_live_view(
    kernel: NotebookKernel,
) -> None:
    reply = ok(kernel.run("p = open_session(Poller(close_during_start=True))", cell_id="a"))
    assert kernel.value("RELEASED") == [kernel.value("p.id")]  # deferred after the close
    assert kernel.value("p.thread.is_alive()") is False
    bundles = session_bundles(reply)
    assert bundles and all(b["view"] is None for b in bundles), bundles
    assert not reply.comm_opens  # no Close button for a closed session
    assert kernel.value("rows()") == []


def test_a_kind_that_ends_on_its_own_releases_at_once_and_says_why_when_used(
    kernel: NotebookKernel,
) -> None:
    ok(kernel.run("p = open_session(Poller())", cell_id="a"))
    assert kernel.value("p.ping()") == "pong"
    ok(kernel.run("p.lose_device()", cell_id="b"))
    assert kernel.value("RELEASED") == [kernel.value("p.id")]
    assert kernel.value("rows()") == [["Poller", "CRASHED", "the device went away"]]
    reply = kernel.run("p.ping()", cell_id="b")
    assert reply.error and reply.error["ename"] == "SessionError"
    assert "lost its device (the device went away)" in reply.error["evalue"]
    ok(kernel.run("p = open_session(Poller())", cell_id="a"))  # re-run: the ended one goes
    assert kernel.value("rows()") == [["Poller", "RUNNING", None]]


def test_a_failed_sessions_output_says_why_and_a_restart_makes_it_live_again(
    kernel: NotebookKernel,
) -> None:
    shown = ok(kernel.run("p = open_session(Poller())", cell_id="a"))
    display_id = shown.displays[0]["transient"]["display_id"]
    failed = kernel.display_update(display_id, ok(kernel.run("p.break_down()", cell_id="b")))
    data = failed["data"][MIME_TYPE]
    assert (data["state"], data["view"], data["error"]) == ("FAILED", None, "the device broke")
    assert data["label"]  # its Close button stays
    assert "the device broke" in failed["data"]["text/html"]
    live = kernel.display_update(display_id, ok(kernel.run("p.restart()", cell_id="b")))
    assert live["data"][MIME_TYPE]["state"] == "RUNNING"
    assert live["data"][MIME_TYPE]["view"] is not None
    assert kernel.value("p.ping()") == "pong"


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("Poller().ping()", "open it first: s = open_session(Poller(...))"),
        ("p = open_session(Poller()); p.close(); p.ping()", "is closed; open a new one"),
    ],
)
def test_must_be_running_is_checked_by_the_core(
    kernel: NotebookKernel, code: str, says: str
) -> None:
    reply = kernel.run(code, cell_id="a")
    assert reply.error and reply.error["ename"] == "SessionError"
    assert says in reply.error["evalue"]


def test_what_still_runs_after_close_is_listed_terminating_until_it_ends(
    kernel: NotebookKernel,
) -> None:
    shown = ok(kernel.run("p = open_session(Poller(obey=False))", cell_id="a"))
    closed = ok(kernel.run("p.close()", cell_id="b"))
    retired = kernel.display_update(shown.displays[0]["transient"]["display_id"], closed)
    assert retired["data"][MIME_TYPE]["view"] is None
    [(kind, state, error)] = kernel.value("rows()")
    assert (kind, state) == ("Poller", "TERMINATING")
    assert error.startswith("ignores its stop event: still running")
    ok(kernel.run("p.finish.set(); p.thread.join(10)", cell_id="b"))
    assert kernel.value("rows()") == []
    assert kernel.value("p.state.value") == "TERMINATED"


def test_a_failed_restart_records_its_error_as_a_failed_open_does(
    kernel: NotebookKernel,
) -> None:
    failed = kernel.run("q = open_session(Poller(fail_start=True))", cell_id="a")
    assert failed.error and "no device to poll" in failed.error["evalue"]
    ok(kernel.run("p = open_session(Poller())", cell_id="b"))
    ok(kernel.run("p.restart(); print(p.state.value)", cell_id="c"))
    assert kernel.value("RELEASED") == [kernel.value("p.id")]
    restart = kernel.run("p.fail_start = True; p.restart()", cell_id="c")
    assert restart.error and "no device to poll" in restart.error["evalue"]
    assert kernel.value("rows()") == [
        ["Poller", "FAILED", "OSError: port 7 busy"],
        ["Poller", "FAILED", "OSError: port 7 busy"],
    ]
    wait_for(lambda: kernel.value("p.thread.is_alive()") is False)


def readme_kind_example() -> str:
    """The README's "Writing a session kind" example, as written."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("## Writing a session kind") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_kind_runs_as_written_and_its_cell_owns_it() -> None:
    nb = NotebookKernel()
    try:
        ok(nb.run("from jupyter_sessions import sessions"))
        ok(nb.run(readme_kind_example(), cell_id="poll"))
        first = nb.value("p.id")
        assert nb.value("[(r['type'], r['state'], r['device']) for r in sessions()]") == [
            ["Poller", "RUNNING", "/dev/ttyUSB0"]
        ]
        ok(nb.run(readme_kind_example(), cell_id="poll"))  # re-run: the old poller stops
        assert nb.value("[r['id'] for r in sessions()]") == [nb.value("p.id")] != [first]
        ok(nb.run("p.device = 'gone'", cell_id="other"))
        wait_for(lambda: nb.value("[r['state'] for r in sessions()]") == ["CRASHED"])
        reply = nb.run("p.read()", cell_id="other")
        assert reply.error and "lost its device (the device went away)" in reply.error["evalue"]
    finally:
        nb.close()


def test_a_kind_that_gives_no_start_cannot_be_made_and_is_told_to_add_it() -> None:
    class Forgetful(Session):
        """Says what it shows, but not how it starts."""

        def _info(self) -> dict[str, object]:
            return {}

    with pytest.raises(TypeError, match=r"abstract class Forgetful .*_start"):
        Forgetful()  # type: ignore[abstract]
