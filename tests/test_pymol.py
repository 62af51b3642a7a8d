"""PyMOLSession with real PyMOL and real worker processes: isolation, crashes, bad input.

Sessions here are opened outside IPython (no cell, no output); the cell-owned
behaviour is tested through a real kernel in ``test_pymol_kernel.py``.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_sessions import (
    PyMOLCrashed,
    PyMOLError,
    PyMOLSession,
    SessionError,
    SessionState,
    open_session,
)
from jupyter_sessions.pymol.worker import WORKER_TITLE

from .support.interrupts import interrupted_after
from .support.pymol_sessions import MODES, PEPT, pymol
from .support.waits import wait_for

pytestmark = pytest.mark.usefixtures("close_all_after")


def workers() -> list[psutil.Process]:
    """This process's live PyMOL workers."""
    return [p for p in psutil.Process().children() if _name(p) == WORKER_TITLE]


def _name(process: psutil.Process) -> str:
    try:
        return str(process.name()) if process.status() != psutil.STATUS_ZOMBIE else ""
    except psutil.Error:
        return ""


# -- the seed's two tests ----------------------------------------------------------------


@pytest.mark.parametrize("isolated", MODES)
def test_ten_sessions_each_see_only_their_own_edits(isolated: bool) -> None:
    s = [pymol(isolated) for _ in range(10)]
    for i in range(10):
        assert s[i].cmd.select("*") == 0, "ought to be empty"
        s[i].cmd.load(PEPT)
    for i in range(10):
        s[i].cmd.remove(f"resi {i + 1}")
        assert s[i].cmd.select(f"resi {i + 1}") == 0, "ought to be removed just now"
    for i in range(1, 10):
        assert s[i].cmd.select(f"resi {i} and name CA") == 1, "removed elsewhere only"
    for i in range(10):
        assert s[i].cmd.select(f"resi {i + 1}") == 0, "ought to be removed before"
        assert s[i].cmd.count_atoms("name CA") == 12
    if isolated:
        assert len({x.pid for x in s}) == 10
        assert {p.pid for p in workers()} == {x.pid for x in s}


def test_thousands_of_in_process_sessions_leak_no_memory() -> None:
    process = psutil.Process()

    def cycle(n: int) -> None:
        for _ in range(n):
            s = pymol(isolated=False)
            s.cmd.load(PEPT)
            s.close()

    cycle(200)  # warm up: PyMOL's and the allocator's one-time costs
    gc.collect()
    before = process.memory_full_info().uss
    cycle(2000)
    gc.collect()
    per_session = (process.memory_full_info().uss - before) / 2000
    # Raw pymol2 (start+stop per instance) leaks ~40 KB per instance here.
    assert per_session < 2048, f"{per_session:.0f} bytes per session"


def test_isolated_sessions_leave_no_process_thread_or_descriptor() -> None:
    process = psutil.Process()
    children, fds = process.children(), process.num_fds()
    threads = threading.active_count()
    for _ in range(30):
        s = pymol()
        s.cmd.load(PEPT)
        s.close()
    assert workers() == [] and process.children() == children
    assert process.num_fds() == fds
    wait_for(lambda: threading.active_count() == threads, timeout=5)


# -- crashes -------------------------------------------------------------------------------


def test_the_pymol2_double_stop_kills_a_process_but_not_ours() -> None:
    raw = subprocess.run(
        [sys.executable, "-c", "import pymol2\nwith pymol2.PyMOL() as p:\n    p.stop()"],
        capture_output=True,
    )
    assert raw.returncode == -signal.SIGSEGV  # what the seed saw: the whole server dies
    ours = subprocess.run([sys.executable, "-c", MISUSE], capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.split() == ["SessionError"] * 4 + ["ok"]


MISUSE = """
from jupyter_sessions import PyMOLSession, SessionError, open_session
s = PyMOLSession(isolated=False)
def expect(fn):
    try:
        fn()
    except SessionError as exc:
        print(type(exc).__name__)
expect(lambda: s.cmd.load("x.pdb"))    # before start
open_session(s)
s.close(); s.close()                   # stop twice
expect(lambda: s.cmd.count_atoms())    # after stop
expect(lambda: s.restart())
local = __import__("jupyter_sessions.pymol.in_kernel").pymol.in_kernel.Local()
local.stop(); local.stop()
expect(lambda: local.run("cmd", "count_atoms", (), {}))
print("ok")
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=lambda s: s.name)
def test_a_killed_worker_crashes_its_session_only_and_restart_works(sig: signal.Signals) -> None:
    s, other = pymol(), pymol()
    s.cmd.load(PEPT)
    other.cmd.load(PEPT)
    old = s.pid
    assert old is not None
    os.kill(old, sig)
    wait_for(lambda: s.state is SessionState.CRASHED, timeout=5)  # noticed while idle
    assert f"killed by {sig.name}" in str(s.error)
    with pytest.raises(PyMOLCrashed, match=f"{sig.name}.*s.restart()"):
        s.cmd.count_atoms("all")
    assert other.cmd.count_atoms("all") == 107
    s.restart()
    assert s.state is SessionState.RUNNING and s.pid not in (None, old)
    assert s.cmd.count_atoms("all") == 0  # back, and empty
    assert not psutil.pid_exists(old)


def test_a_native_crash_inside_a_command_names_the_signal() -> None:
    s, other = pymol(), pymol(isolated=False)
    other.cmd.load(PEPT)
    segfault = "/import pymol2 as p; q = p.PyMOL(); q.start(); q.stop(); q.stop()"
    with pytest.raises(PyMOLCrashed, match=r"cmd.do\(\) ended the session.*SIGSEGV"):
        s.cmd.do(segfault)
    assert s.state is SessionState.CRASHED
    assert other.cmd.count_atoms("all") == 107
    s.restart()
    assert s.cmd.load(PEPT) is None and s.cmd.count_atoms("all") == 107


def test_a_hung_command_times_out_and_its_worker_is_stopped() -> None:
    s = pymol(timeout=0.5)
    pid = s.pid
    with pytest.raises(PyMOLCrashed, match=r"did not answer within 0.5 s"):
        s.cmd.do("/import time; time.sleep(30)")
    assert s.state is SessionState.FAILED
    wait_for(lambda: not psutil.pid_exists(pid or 0), timeout=3)
    s.restart()
    assert s.cmd.count_atoms("all") == 0


def test_an_interrupted_command_leaves_the_session_in_step() -> None:
    s = pymol()
    s.cmd.load(PEPT)
    with interrupted_after(0.3):  # the kernel's interrupt button
        s.cmd.do("/import time; time.sleep(1.5)")
    # The next command waits for the interrupted one and skips its late answer.
    assert s.cmd.count_atoms("all") == 107
    assert s.cmd.get_names() == ["pept"]
    assert s.state is SessionState.RUNNING


def test_closing_while_a_command_runs_kills_the_worker_at_once() -> None:
    s = pymol()
    pid = s.pid
    errors: list[BaseException] = []

    def busy() -> None:
        try:
            s.cmd.do("/import time; time.sleep(30)")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=busy)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    s.close()
    assert time.monotonic() - started < 1.0
    thread.join(5)
    assert not psutil.pid_exists(pid or 0)
    assert len(errors) == 1 and "was closed while cmd.do() ran" in str(errors[0])


# -- bad input -----------------------------------------------------------------------------


def _bad_inputs(tmp: Path) -> list[tuple[Callable[[PyMOLSession], Any], type, str]]:
    malformed = tmp / "mYpRoTeIn.exe.pdb"
    malformed.write_bytes(b"MZ\x90\x00\x03\x00garbage\nthis is not a PDB file\n")
    return [
        (lambda s: s.cmd.load(str(malformed)), PyMOLError, "holds no atoms PyMOL could read"),
        (lambda s: s.cmd.load(str(tmp / "missing.pdb")), PyMOLError, "failed to open file"),
        (lambda s: s.cmd.laod(PEPT), AttributeError, "did you mean cmd.load"),
        (lambda s: s.cmd.select("bad", "resi 3 and and ("), PyMOLError, "Malformed selection"),
        (lambda s: s.cmd.count_atoms("nosuchthing"), PyMOLError, "nosuchthing"),
        (lambda s: s.cmd.fetch("1ubq"), PyMOLError, "fetch could not download '1ubq'"),
        (lambda s: s.cmd.quit(), AttributeError, "close the session"),
        (lambda s: s.cmd.set("no_such_setting", 1), PyMOLError, "cmd.set"),
    ]


@pytest.mark.parametrize("isolated", MODES)
def test_bad_input_raises_clearly_and_the_session_goes_on(isolated: bool, tmp_path: Path) -> None:
    s = pymol(isolated)
    s.cmd.load(PEPT)
    for call, error, message in _bad_inputs(tmp_path):
        with pytest.raises(error, match=message):
            call(s)
        assert s.state is SessionState.RUNNING
        assert s.cmd.get_names() == ["pept"], "nothing half-loaded stays behind"
        assert s.cmd.count_atoms("all") == 107


def test_arguments_that_cannot_cross_to_the_worker_raise_clearly() -> None:
    s = pymol()
    s.cmd.load(PEPT)
    with pytest.raises(PyMOLError, match="cannot be sent to the PyMOL worker"):
        s.cmd.iterate("all", "n = 1", space={"lock": threading.Lock()})
    assert s.cmd.count_atoms("all") == 107


@pytest.mark.parametrize("isolated", MODES)
def test_misuse_of_the_lifecycle_raises_clear_errors(isolated: bool) -> None:
    s = PyMOLSession(isolated=isolated)
    with pytest.raises(SessionError, match="open_session"):
        s.cmd.load(PEPT)
    open_session(s)
    with pytest.raises(ValueError, match="open a new instance"):
        open_session(s)
    s.close()
    s.close()
    with pytest.raises(SessionError, match=r"is closed; open a new one: open_session\(PyMOL"):
        s.cmd.count_atoms()
    with pytest.raises(SessionError, match="closed"):
        s.restart()
    with pytest.raises(ValueError, match="positive"):
        PyMOLSession(timeout=0)
