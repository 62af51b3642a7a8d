"""Every close trigger at once, from several threads: each session still closes once.

A session's close may come from the kernel's main thread (its cell re-run, a deleted
cell named by the next execution), from a comm thread (the page: output cleared, cell
deleted, view disposed, the extension's Close button), from the widget's Close button,
or from any code that calls ``close_all()``; these race (``core/threads.py``). Here
hypothesis draws what each of four threads does, a barrier releases them together,
and afterwards the one lifecycle's promises must hold: each trigger closed what it was
for and nothing else; every session closed once and released once; every output of a
closed session a "closed" note with its widgets closed; the page's list of sessions
(its side panel) what is open; nothing left in the registry after a last ``close_all()``.

The core runs for real, in-process, through the entry points the kernel uses: an
IPython shell with the package installed on it (its display publisher and its comms
record what a page would be sent), the ``pre_run_cell``/``post_run_cell`` hooks with
the cell id and ``deletedCells`` of an execute_request, and the comm manager's
``comm_open`` and ``comm_msg``, as ipykernel calls them, for the page's messages and
the widget's button. Only the session kind is the test's own. A race shows in some
runs, not all: a failure here is a real one even if hypothesis cannot replay it."""

from __future__ import annotations

import itertools
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ipywidgets
import pytest
from comm import get_comm_manager
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import ExecutionInfo
from ipywidgets.widgets.widget import _instances as live_widgets

from jupyter_sessions.core import cells, runtime
from jupyter_sessions.core.output import MIME_TYPE
from jupyter_sessions.core.registry import Event, registry
from jupyter_sessions.core.session import Session, SessionState
from jupyter_sessions.core.widget import WIDGET_MIME

from .support.inprocess_kernel import Frontend, Kernel, inprocess_kernel

ACTORS = 4  # the kernel's main thread (the test's own) and three others
CELLS = ("cell-a", "cell-b", "cell-c")
TIMEOUT_S = 30.0  # a thread still running after this is deadlocked


class Probe(Session):
    """The smallest real kind: one resource, released by one teardown, and one control."""

    kind = "probe"

    def __init__(self) -> None:
        self.released: list[str] = []  # who released it (list.append is atomic)
        self.control: Any = None

    def _start(self) -> None:
        self._defer(lambda: self.released.append(threading.current_thread().name))

    def _controls(self) -> list[Any]:
        self.control = ipywidgets.Label("probe")
        return [self.control]


@dataclass(frozen=True)
class Run:
    """An execute_request for ``cell`` naming ``deleted`` cells, opening ``opens`` sessions."""

    cell: str
    deleted: tuple[str, ...]
    opens: int


@dataclass(frozen=True)
class Open:
    """``open_session`` in the cell this thread runs (no owner off the main thread)."""


@dataclass(frozen=True)
class Clear:
    """The page says a cell's output was cleared, or the cell deleted."""

    cell: str
    message: str


@dataclass(frozen=True)
class Press:
    """The page closes the ``nth`` output it was shown: its Close button, the widget's, or
    the view disposed."""

    nth: int
    via: str


@dataclass(frozen=True)
class CloseAll:
    """``close_all()``."""


CELL = st.sampled_from(CELLS)
OP = st.one_of(
    st.builds(Run, CELL, st.lists(CELL, max_size=2, unique=True).map(tuple), st.integers(0, 2)),
    st.builds(Open),
    st.builds(Clear, CELL, st.sampled_from(["cells_cleared", "cells_deleted"])),
    st.builds(Press, st.integers(0, 40), st.sampled_from(["close", "view_disposed", "widget"])),
    st.builds(CloseAll),
)
PLANS = st.lists(st.lists(OP, min_size=1, max_size=15), min_size=ACTORS, max_size=ACTORS)


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    """An in-process shell with the package installed and a page connected over both comms."""
    with inprocess_kernel() as shell:
        yield shell


@dataclass
class Story:
    """What the threads did, on one clock (``next()`` on a count is atomic)."""

    clock: Iterator[int] = field(default_factory=itertools.count)
    opened: list[tuple[Probe, int]] = field(default_factory=list)  # with the tick after
    missed: list[tuple[tuple[str, ...], Probe]] = field(default_factory=list)
    local: threading.local = field(default_factory=threading.local)

    @contextmanager
    def closing(self, *targets: str) -> Iterator[None]:
        """A trigger for ``targets`` (cell ids, session ids, "*" for all) runs inside: what
        was open before it is closed after."""
        start = next(self.clock)
        due = [
            probe
            for probe, tick in list(self.opened)
            if tick < start and {probe.cell, probe.id, "*"} & set(targets)
        ]
        self.local.targets = set(targets)
        try:
            yield
        finally:
            self.local.targets = set()
        self.missed.extend((targets, probe) for probe in due if not probe.closed)

    def asked(self, event: Event) -> bool:
        """True if the trigger running on this thread was for the session of ``event``."""
        return bool({event.cell, event.session_id, "*"} & getattr(self.local, "targets", set()))

    def probes(self) -> list[Probe]:
        return [probe for probe, _ in self.opened]


def perform(kernel: Kernel, op: object, story: Story) -> None:
    """Do ``op`` as the kernel would see it happen, on the calling thread."""
    manager = get_comm_manager()
    if isinstance(op, Run):
        cells.post_run_cell(None)  # this thread's previous execution ended
        info = ExecutionInfo(
            raw_cell="",
            store_history=True,
            silent=False,
            shell_futures=True,
            cell_id=op.cell,
            cell_meta={"deletedCells": list(op.deleted)},
        )
        with story.closing(op.cell, *op.deleted):
            cells.pre_run_cell(info)
        for _ in range(op.opens):
            perform(kernel, Open(), story)
    elif isinstance(op, Open):
        probe = runtime.open_session(Probe())
        story.opened.append((probe, next(story.clock)))
    elif isinstance(op, Clear):
        data = {"type": op.message, "cells": [op.cell]}
        with story.closing(op.cell):
            manager.comm_msg(None, None, {"content": {"comm_id": kernel.page, "data": data}})
    elif isinstance(op, Press):
        shown = kernel.frontend.shown()
        if not shown:
            return
        _, output = shown[op.nth % len(shown)]
        session_id = output[MIME_TYPE]["session_id"]
        if op.via != "widget":
            data = {"type": op.via, "session_id": session_id}
            with story.closing(session_id):
                manager.comm_msg(None, None, {"content": {"comm_id": kernel.page, "data": data}})
        elif WIDGET_MIME in output:  # a session closed before it showed has no button
            close = {"type": "close", "session_id": session_id}
            custom = {"method": "custom", "content": close}
            with story.closing(session_id):
                manager.comm_msg(
                    None,
                    None,
                    {
                        "content": {"comm_id": output[WIDGET_MIME]["model_id"], "data": custom},
                        "buffers": [],
                    },
                )
    elif isinstance(op, CloseAll):
        with story.closing("*"):
            runtime.close_all()


class Warnings(logging.Handler):
    """Keeps the package's warnings: a teardown or a listener that failed, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.timeout(120)  # a deadlocked main thread: fail with every thread's stack
@settings(max_examples=100, deadline=None, database=None)
@given(plans=PLANS)
def test_every_trigger_from_every_thread_closes_each_session_once(
    kernel: Kernel, plans: list[list[object]]
) -> None:
    """Whatever the threads do and however they interleave, each session lives one life."""
    story = Story()
    events: list[tuple[Event, bool]] = []  # with whether a trigger asked for it
    failures: list[BaseException] = []
    barrier = threading.Barrier(ACTORS)

    def act(plan: list[object]) -> None:
        try:
            barrier.wait(TIMEOUT_S)
            for op in plan:
                perform(kernel, op, story)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            cells.post_run_cell(None)

    kernel.frontend.clear()
    warnings = Warnings()
    package_log = logging.getLogger("jupyter_sessions")
    package_log.addHandler(warnings)
    unsubscribe = registry().subscribe(lambda event: events.append((event, story.asked(event))))
    try:
        others = [
            threading.Thread(target=act, args=(plan,), name=f"actor-{n}", daemon=True)
            for n, plan in enumerate(plans[1:], start=1)
        ]
        for thread in others:
            thread.start()
        act(plans[0])
        for thread in others:
            thread.join(TIMEOUT_S)
        assert not [t.name for t in others if t.is_alive()], "deadlocked"
        assert failures == []

        # Before the last close_all: each trigger closed what it was for, and the registry
        # lists exactly the sessions still open.
        assert story.missed == []
        probes = story.probes()
        assert {p for p in probes if not p.closed} == set(registry().all()) & set(probes)
        assert_outputs_follow_sessions(kernel.frontend, probes)
        # The side panel's last list is what is open.
        assert kernel.frontend.listed(kernel.feed) == [s.id for s in registry().all()]

        with story.closing("*"):
            runtime.close_all()
        assert registry().all() == [] and registry().lingering() == []
        assert kernel.frontend.listed(kernel.feed) == []
    finally:
        unsubscribe()
        package_log.removeHandler(warnings)

    assert_outputs_follow_sessions(kernel.frontend, probes)
    removed = Counter(e.session_id for e, _ in events if e.kind == "removed")
    assert all(asked for e, asked in events if e.kind == "removed")  # no close unasked
    for probe in probes:
        assert probe.state is SessionState.TERMINATED
        assert removed[probe.id] == 1, probe  # closed once
        assert len(probe.released) == 1, (probe, probe.released)  # released once
    assert warnings.records == []  # no teardown, listener or message failed


def assert_outputs_follow_sessions(frontend: Frontend, probes: list[Probe]) -> None:
    """Each session showed once; a closed one's output is a note with its widgets closed,
    an open one's is live."""
    shown = frontend.shown()
    assert Counter(data[MIME_TYPE]["session_id"] for _, data in shown) == Counter(
        probe.id for probe in probes
    )
    outputs = {data[MIME_TYPE]["session_id"]: (did, data) for did, data in shown}
    for probe in probes:
        display_id, output = outputs[probe.id]
        if display_id is None:  # closed while it started: shown as a note at once
            assert probe.closed and output[MIME_TYPE]["view"] is None
            continue
        now = frontend.last(display_id)[MIME_TYPE]
        if not probe.closed:
            assert now["view"] is not None  # nothing retired it
            continue
        assert now["view"] is None and now["state"] == SessionState.TERMINATED.value
        assert output[WIDGET_MIME]["model_id"] not in live_widgets
        assert probe.control is None or probe.control.comm is None
