"""The shared PyMOL (for wizards), and in-process PyMOLs reused without contamination."""

from __future__ import annotations

import threading
import time

import pytest

from jupyter_sessions import PyMOLBusy, PyMOLError, SessionError, shared_pymol

from .support.pymol_sessions import PEPT, pymol

pytestmark = pytest.mark.usefixtures("close_all_after")


def test_holders_take_turns_first_come_first_served() -> None:
    order: list[int] = []
    inside = threading.Event()
    overlap: list[int] = []

    def holder(i: int) -> None:
        with shared_pymol(timeout=30) as pm:
            if inside.is_set():
                overlap.append(i)
            inside.set()
            order.append(i)
            pm.cmd.load(PEPT, f"mine{i}")
            time.sleep(0.05)
            assert pm.cmd.get_names() == [f"mine{i}"]
            inside.clear()

    with shared_pymol():
        threads = []
        for i in range(5):  # they queue up, in this order, behind the main thread
            threads.append(threading.Thread(target=holder, args=(i,), name=f"holder-{i}"))
            threads[-1].start()
            time.sleep(0.1)
    for thread in threads:
        thread.join(30)
    assert order == [0, 1, 2, 3, 4]
    assert overlap == []


def test_it_is_empty_on_entry_and_emptied_on_exit_even_after_an_error() -> None:
    with pytest.raises(ZeroDivisionError), shared_pymol() as pm:
        pm.cmd.load(PEPT)
        pm.cmd.set("sphere_scale", 3)
        pm.cmd.select("leftover", "resi 3")
        1 / 0  # noqa: B018
    with shared_pymol(timeout=1) as pm:  # released: no wait
        assert pm.cmd.get_names("all") == []
        assert float(pm.cmd.get("sphere_scale")) == 1.0
    with pytest.raises(SessionError, match="released when its `with shared_pymol"):
        pm.cmd.count_atoms("all")


def test_a_waiter_times_out_clearly_and_never_takes_the_lock() -> None:
    holding, done = threading.Event(), threading.Event()
    seen: list[int] = []

    def holder() -> None:
        with shared_pymol() as pm:
            pm.cmd.load(PEPT)
            holding.set()
            done.wait(10)
            seen.append(pm.cmd.count_atoms("all"))  # still ours after the waiter gave up

    thread = threading.Thread(target=holder, name="slow-holder")
    thread.start()
    assert holding.wait(10)
    busy = r"within 0.3 s: thread 'slow-holder' has held it"
    with pytest.raises(PyMOLBusy, match=busy), shared_pymol(timeout=0.3):
        pass
    assert isinstance(PyMOLBusy("x"), TimeoutError)
    done.set()
    thread.join(10)
    assert seen == [107]


def test_nesting_in_one_thread_is_refused_at_once() -> None:
    with shared_pymol() as pm:
        started = time.monotonic()
        nested = "already holds the shared PyMOL"
        with pytest.raises(SessionError, match=nested), shared_pymol(timeout=10):
            pass
        assert time.monotonic() - started < 1
        assert pm.cmd.count_atoms("all") == 0


def test_the_mutagenesis_wizard_works() -> None:
    with shared_pymol() as pm:
        pm.cmd.load(PEPT, "pept")
        assert pm.cmd.get_fastastr("pept").split()[1] == "DCAWHLGELVWCT"
        pm.cmd.wizard("mutagenesis")
        pm.cmd.refresh_wizard()
        wizard = pm.cmd.get_wizard()
        wizard.set_mode("GLY")
        pm.cmd.select("sele", "pept///3/")
        wizard.do_select("sele")
        wizard.apply()
        pm.cmd.set_wizard()
        assert pm.cmd.get_fastastr("pept").split()[1] == "DCGWHLGELVWCT"
    with shared_pymol() as pm:
        assert pm.cmd.get_wizard() is None and pm.cmd.get_names() == []


def test_a_reused_in_process_pymol_keeps_nothing_of_its_last_session() -> None:
    first = pymol(isolated=False)
    background = first.cmd.get("bg_rgb")
    first.cmd.load(PEPT)
    first.cmd.select("leftover", "resi 3")
    first.cmd.set("sphere_scale", 3)
    first.cmd.bg_color("red")
    first.cmd.turn("x", 40)
    first.cmd.view("v1", "store")
    first.cmd.scene("s1", "store")
    first.cmd.wizard("mutagenesis")
    first.cmd.alter("all", "stored.seen = 1")
    local = first._local
    first.close()
    s = pymol(isolated=False)
    assert s._local is local, "the test is about a reused PyMOL"
    assert s.cmd.get_names("all") == []
    assert float(s.cmd.get("sphere_scale")) == 1.0
    assert s.cmd.get("bg_rgb") == background
    assert s.cmd.get_scene_list() == [] and s.cmd.get_wizard() is None
    assert s.cmd.get_view() == pymol(isolated=False).cmd.get_view()
    with pytest.raises(PyMOLError, match="unknown view: 'v1'"):
        s.cmd.view("v1", "recall")
    s.cmd.load(PEPT)
    with pytest.raises(PyMOLError, match="no attribute 'seen'"):
        s.cmd.iterate("pept", "stored.seen")


def test_an_in_process_pymol_given_new_commands_is_not_reused() -> None:
    calls: list[int] = []
    first = pymol(isolated=False)
    first.cmd.extend("leak", lambda: calls.append(1))
    first.cmd.do("leak")
    local = first._local
    first.close()
    s = pymol(isolated=False)
    assert s._local is not local
    s.cmd.do("leak")
    assert calls == [1]
