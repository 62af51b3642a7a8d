"""Many threads on many PyMOL sessions, or on one; and signals meant for the kernel."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from jupyter_sessions import PyMOLSession, SessionState

from .support.interrupts import interrupted_after
from .support.pymol_sessions import MODES, PEPT, pymol

pytestmark = pytest.mark.usefixtures("close_all_after")

THREADS, OPERATIONS = 8, 100


def run_threads(work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        try:
            start.wait(10)
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def operation(s: PyMOLSession, name: str, residue: int) -> None:
    """One self-contained operation: load, edit, check, clean up."""
    s.cmd.load(PEPT, name)
    assert s.cmd.count_atoms(f"%{name} and name CA") == 13
    s.cmd.remove(f"%{name} and resi {residue}")
    assert s.cmd.count_atoms(f"%{name} and name CA") == 12
    assert s.cmd.count_atoms(f"%{name} and resi {residue}") == 0
    s.cmd.delete(name)


@pytest.mark.parametrize("isolated", MODES)
def test_eight_threads_each_with_its_own_session(isolated: bool) -> None:
    sessions = [pymol(isolated) for _ in range(THREADS)]

    def work(i: int) -> None:
        s = sessions[i]
        s.cmd.load(PEPT, "mine")
        s.cmd.remove(f"%mine and resi {i + 1}")
        for k in range(OPERATIONS):
            operation(s, f"op{k}", k % 13 + 1)
            # Only this session's own edit is visible, whatever the others do.
            assert s.cmd.get_names() == ["mine"]
            assert s.cmd.count_atoms("name CA") == 12
            assert s.cmd.count_atoms(f"resi {i + 1}") == 0

    assert run_threads(work) == []
    assert all(s.state is SessionState.RUNNING for s in sessions)


@pytest.mark.parametrize("isolated", MODES)
def test_eight_threads_sharing_one_session(isolated: bool) -> None:
    s = pymol(isolated)
    assert (
        run_threads(
            lambda i: [operation(s, f"t{i}_{k}", (i + k) % 13 + 1) for k in range(OPERATIONS)]
        )
        == []
    )
    assert s.cmd.get_names() == []
    assert s.state is SessionState.RUNNING


def test_threads_opening_and_closing_sessions_at_once() -> None:
    def work(i: int) -> None:
        for k in range(5):
            s = pymol(isolated=(i + k) % 2 == 0)
            operation(s, "churn", 3)
            s.close()

    assert run_threads(work) == []


# -- signals -------------------------------------------------------------------------------


def test_the_interrupt_signal_still_interrupts_with_in_process_pymol() -> None:
    # PyMOL's start() installs a SIGINT handler that ends the process: in a kernel,
    # the interrupt button would kill the kernel. Sessions put the old one back.
    s = pymol(isolated=False)
    assert s.cmd.count_atoms("all") == 0
    with interrupted_after(0.2):
        time.sleep(5)
    assert s.cmd.count_atoms("all") == 0


def test_a_worker_ignores_the_interrupt_meant_for_its_kernel() -> None:
    # jupyter_client interrupts a kernel by signalling its whole process group.
    s = pymol()
    s.cmd.load(PEPT)
    assert s.pid is not None
    os.kill(s.pid, signal.SIGINT)
    time.sleep(0.3)
    assert s.state is SessionState.RUNNING
    assert s.cmd.count_atoms("all") == 107
