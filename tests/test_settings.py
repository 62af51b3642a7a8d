"""Kernel settings, time-to-live and the heartbeat, in real kernels driven as a page does.

Settings come from an IPython config file (``IPYTHONDIR``), from ``%config`` in a cell
and from the environment (which wins); bad values are logged with the default kept.
A page here is what JupyterLab's extension opens: the commands comm with a hello and
the feed comm, sent with jupyter_client.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from .support.kernels import KERNEL_SETUP, kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.processes import free_port
from .support.waits import wait_equal, wait_for

TARGET = "jupyter_sessions.v1"
FEED = "jupyter_sessions.sessions.v1"

# Installs a handler that keeps jupyter_sessions' log records, then imports it: what a
# config file says is read as the package installs itself in the kernel.
LOGGED = """
import logging
_records = []
class _Keep(logging.Handler):
    def emit(self, record):
        _records.append(record.getMessage())
logging.getLogger("jupyter_sessions").addHandler(_Keep())
import jupyter_sessions
from jupyter_sessions.core import settings as _settings
"""


def page(nb: NotebookKernel, page_id: str) -> tuple[str, str]:
    """Open a page's two comms, as the extension does; returns (commands, feed) ids."""
    commands, feed = uuid.uuid4().hex, uuid.uuid4().hex
    hello = {"type": "hello", "origin": "http://localhost", "base_url": "/", "page": page_id}
    nb.open_comm(commands, TARGET, {**hello, "replaces": ""})
    nb.open_comm(feed, FEED, {"page": page_id})
    return commands, feed


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    profile = tmp_path / "profile_default"
    profile.mkdir()
    (profile / "ipython_kernel_config.py").write_text(
        "c.JupyterSessions.time_to_live_minutes = 30\n"
        "c.JupyterSessions.port = 'not a port'\n"
        "c.JupyterSessions.heartbeat_seconds = 5\n"
    )
    return tmp_path


def test_a_config_file_sets_the_kernel_and_a_bad_value_keeps_the_default(
    config_dir: Path,
) -> None:
    with kernel_with(LOGGED, env={"IPYTHONDIR": str(config_dir)}) as nb:
        assert nb.value("_settings.get('time_to_live_minutes')") == 30.0
        assert nb.value("_settings.get('heartbeat_seconds')") == 5.0
        assert nb.value("_settings.get('port')") == 0
        logged = nb.value("_records")
        assert any("JupyterSessions.port" in r and "'not a port'" in r for r in logged), logged
        assert any("keeping 0" in r for r in logged), logged


def test_the_environment_wins_and_a_bad_one_is_logged(config_dir: Path) -> None:
    env = {
        "IPYTHONDIR": str(config_dir),
        "JUPYTER_SESSIONS_TIME_TO_LIVE_MINUTES": "2.5",
        "JUPYTER_SESSIONS_HEARTBEAT_SECONDS": "often",
    }
    with kernel_with(LOGGED, env=env) as nb:
        assert nb.value("_settings.get('time_to_live_minutes')") == 2.5
        assert nb.value("_settings.get('heartbeat_seconds')") == 5.0  # the file's
        logged = nb.value("_records")
        assert any("JUPYTER_SESSIONS_HEARTBEAT_SECONDS" in r and "'often'" in r for r in logged)


def test_config_from_a_cell_and_a_bad_value_refused_there(nb: NotebookKernel) -> None:
    ok(nb.run("%config JupyterSessions.time_to_live_minutes = 12", cell_id="cell-a"))
    assert nb.value("_runtime.settings.get('time_to_live_minutes')") == 12.0
    bad = nb.run("%config JupyterSessions.time_to_live_minutes = 0", cell_id="cell-b")
    said = bad.stderr + bad.stdout + str(bad.error)
    assert "time_to_live_minutes" in said and "above 0" in said, said
    assert nb.value("_runtime.settings.get('time_to_live_minutes')") == 12.0
    listed = ok(nb.run("%config JupyterSessions", cell_id="cell-c")).stdout
    assert "JupyterSessions.heartbeat_seconds" in listed


@pytest.mark.parametrize("minutes", [0, -1, "5"])
def test_a_time_to_live_must_be_minutes_above_zero(nb: NotebookKernel, minutes: object) -> None:
    reply = nb.run(f"open_session(Ticker(), time_to_live_minutes={minutes!r})", cell_id="cell-a")
    assert reply.error is not None and reply.error["ename"] == "ValueError", reply.error
    assert "above 0" in reply.error["evalue"]
    assert nb.value("live()") == []  # nothing opened


def test_an_unwatched_session_closes_after_its_time_to_live_and_says_why(
    nb: NotebookKernel,
) -> None:
    reply = ok(
        nb.run(
            "s = open_session(Ticker(), time_to_live_minutes=0.02)\nprint(s.id)", cell_id="cell-a"
        )
    )
    sid = reply.stdout.strip()
    wait_for(lambda: nb.value("live()") == [], timeout=30)  # 1.2 s with no page
    note = nb.value("__import__('jupyter_sessions.core.output').core.output.note_bundle(s)")
    assert "no page showed it for 0.02 minutes (its time to live)" in note["text/plain"]
    assert sid not in nb.value("[r['id'] for r in sessions()]")


def test_a_watched_session_counts_down_once_its_page_went_and_stops_when_it_is_back(
    nb: NotebookKernel,
) -> None:
    ok(nb.run("%config JupyterSessions.time_to_live_minutes = 0.05", cell_id="cell-a"))
    commands, feed = page(nb, "page-1")
    sid = ok(nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id="cell-b")).stdout.strip()
    nb.send_comm_msg(commands, {"type": "view_shown", "session_id": sid})
    wait_for(lambda: nb.value("s._lifecycle.shown"))
    # Watched: no timer counts its 3 s down.
    assert nb.value("[(r['id'], r['closes_in_s']) for r in sessions()]") == [[sid, None]]
    nb.close_comm(commands)
    nb.close_comm(feed)
    left = wait_for(lambda: nb.value("sessions()[0]['closes_in_s'] if sessions() else None"))
    assert 0 < left <= 3.0
    page(nb, "page-1")  # back under its id (it was only slow): what it showed, watched
    wait_equal(lambda: nb.value("sessions()[0]['closes_in_s']"), None)


def test_a_silent_page_is_let_go_and_a_speaking_one_is_kept(nb: NotebookKernel) -> None:
    # A 1 s period: the page is let go after 3 s of silence. Saying alive every 0.25 s
    # leaves 2.75 s for a kernel slowed by a busy machine (with 0.3 s, a stall of 0.6 s
    # let the speaking page go, once, in a suite sharing two cores).
    ok(nb.run("%config JupyterSessions.heartbeat_seconds = 1", cell_id="cell-a"))
    commands, feed = page(nb, "page-1")
    said = nb.comm_messages(feed, timeout=1)
    assert said[0] == {"type": "heartbeat", "seconds": 1}
    for _ in range(16):  # 4 s, past the 3 s of silence that lets go
        nb.send_comm_msg(commands, {"type": "alive"})
        assert not nb.comm_closed(feed, timeout=0.25)
    assert nb.value("_kernel_channel().open_feeds") == [feed]
    closes = []
    for m in nb.iopub(timeout=20):  # silent from now on: let go within 3 periods + one
        if m["msg_type"] == "comm_close" and m["content"]["comm_id"] in (commands, feed):
            closes.append(m)
        if len(closes) == 2:
            break
    assert {m["content"]["comm_id"] for m in closes} == {commands, feed}
    assert all(m["content"]["data"] == {"reason": "silent"} for m in closes)
    assert nb.value("_kernel_channel().open_feeds") == []


def test_the_embedded_server_listens_where_the_settings_say() -> None:
    port = free_port()
    env = {"JUPYTER_SESSIONS_ALLOW_ORIGIN": "*", "JUPYTER_SESSIONS_PORT": str(port)}
    with kernel_with(LOGGED + KERNEL_SETUP, env=env) as nb:
        ok(nb.run("s = open_session(Ticker())", cell_id="cell-a"))
        assert nb.value("running_server().url") == f"http://127.0.0.1:{port}"
        logged = nb.value("_records")
        assert any("JUPYTER_SESSIONS_ALLOW_ORIGIN" in r and "'*'" in r for r in logged), logged


def test_a_view_shown_by_the_session_widget_is_watched_until_it_closes(nb: NotebookKernel) -> None:
    """Voilà's route (no channel): its page never says it went, so no clock runs."""
    reply = ok(
        nb.run("s = open_session(Ticker(), time_to_live_minutes=0.02)\nprint(s.id)", cell_id="c")
    )
    sid, (widget,) = reply.stdout.strip(), reply.session_widgets
    assert nb.value("sessions()[0]['closes_in_s']") is not None  # no page yet: counting
    nb.send_comm_msg(
        widget, {"method": "custom", "content": {"type": "view_shown", "session_id": sid}}
    )
    wait_equal(lambda: nb.value("sessions()[0]['closes_in_s']"), None)
    assert nb.value("live()") == [sid]


def test_the_page_s_time_to_live_applies_where_the_kernel_has_none(nb: NotebookKernel) -> None:
    """The Settings Editor's timeToLiveMinutes comes in the page's hello, again on a
    change (a bad one is dropped, not the hello)."""
    commands = uuid.uuid4().hex
    hello = {"type": "hello", "origin": "http://localhost", "base_url": "/", "page": "p1"}
    nb.open_comm(commands, TARGET, {**hello, "replaces": "", "time_to_live_minutes": -3})
    wait_for(lambda: nb.value("_kernel_channel().pages"))  # the hello, kept
    sid = ok(nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id="a")).stdout.strip()
    nb.send_comm_msg(commands, {"type": "view_shown", "session_id": sid})
    nb.send_comm_msg(commands, {**hello, "replaces": "", "time_to_live_minutes": 0.02})
    assert nb.value("sessions()[0]['closes_in_s']") is None  # shown by a page here
    nb.close_comm(commands)  # the page went: 1.2 s, the page's word
    wait_for(lambda: nb.value("live()") == [], timeout=30)


def test_the_pages_left_hear_when_a_session_s_clock_starts(nb: NotebookKernel) -> None:
    """The panel shows when an unwatched session closes: the feed says so at once."""
    ok(nb.run("%config JupyterSessions.time_to_live_minutes = 5", cell_id="cell-a"))
    shower, shower_feed = page(nb, "page-1")
    _, feed = page(nb, "page-2")  # shows nothing: its panel lists the session
    sid = ok(nb.run("s = open_session(Ticker())\nprint(s.id)", cell_id="cell-b")).stdout.strip()
    nb.send_comm_msg(shower, {"type": "view_shown", "session_id": sid})
    wait_for(lambda: nb.value("s._lifecycle.shown"))
    nb.comm_messages(feed, timeout=1)  # what it heard so far
    nb.close_comm(shower)
    nb.close_comm(shower_feed)  # page 1 went
    said = wait_for(lambda: nb.comm_messages(feed, timeout=1), timeout=30)
    assert [row["closes_in_s"] > 290 for row in said[-1]["sessions"]] == [True]
