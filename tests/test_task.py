"""Task and Job with real threads, real subprocesses and a real Dask cluster.

Outside a kernel (these tests), ``on_finish`` runs on the task's own thread; the
kernel main-thread delivery is tested in ``test_task_kernel.py``.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_sessions import (
    Job,
    JobError,
    SessionState,
    Task,
    close_all,
    open_session,
    sessions,
)
from jupyter_sessions.core.registry import Event, registry

from .support.processes import alive
from .support.waits import wait_for

PY = sys.executable


@pytest.fixture(autouse=True)
def _closed() -> Iterator[None]:
    yield
    close_all()


class Count(Task):
    """Counts to ``n``, cooperatively; snapshots where it got to."""

    def __init__(self, n: int = 5, start: int = 0, step_s: float = 0.01) -> None:
        super().__init__()
        self.n, self.i, self.step_s = n, start, step_s
        self.finished_on: list[str] = []

    def run(self) -> int:
        while self.i < self.n:
            if self.terminating():
                return -1
            self.progress(self.i / self.n, f"step {self.i}")
            self.i += 1
            time.sleep(self.step_s)
        return self.i

    def on_finish(self) -> None:
        self.finished_on.append(threading.current_thread().name)

    def take_snapshot(self) -> dict[str, Any]:
        return {"n": self.n, "start": self.i}


class Forever(Task):
    def run(self) -> None:
        while not self.terminating():
            time.sleep(0.001)


class Stubborn(Task):
    terminate_grace = 0.2

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def run(self) -> None:
        time.sleep(self.seconds)  # never looks at terminating()


class Boom(Task):
    def run(self) -> None:
        raise ZeroDivisionError("boom in run()")


def task_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("jupyter-sessions-task")]


# -- Task -----------------------------------------------------------------------------


def test_a_task_runs_reports_progress_and_finishes_once() -> None:
    t = open_session(Count(n=5))
    assert t.wait(10) == 5
    wait_for(lambda: t.finished_on, timeout=5)
    assert t.state is SessionState.FINISHED and t.result == 5 and t.terminated()
    assert t.finished_on == [f"jupyter-sessions-task-{t.id}"]
    row = next(r for r in sessions() if r["id"] == t.id)
    assert row["state"] == "FINISHED" and row["progress"] == 0.8 and row["message"] == "step 4"


def test_terminate_stops_a_cooperative_task_and_its_thread() -> None:
    t = open_session(Forever())
    assert t.state is SessionState.RUNNING
    t.terminate()
    assert t.state is SessionState.TERMINATED and t.terminated()
    assert f"jupyter-sessions-task-{t.id}" not in task_threads()
    assert t.id not in [r["id"] for r in sessions()]
    t.terminate()  # again: harmless


def test_a_raising_task_fails_with_its_exception() -> None:
    t = open_session(Boom())
    with pytest.raises(ZeroDivisionError, match="boom in run"):
        t.wait(10)
    wait_for(lambda: t.state is SessionState.FAILED, timeout=5)
    assert t.error == "ZeroDivisionError: boom in run()"
    assert isinstance(t.exception, ZeroDivisionError)
    assert next(r for r in sessions() if r["id"] == t.id)["state"] == "FAILED"


def test_a_task_ignoring_terminating_is_reported_until_it_ends() -> None:
    t = open_session(Stubborn(seconds=1.5))
    started = time.monotonic()
    t.close()
    assert time.monotonic() - started < 1.0  # close waited the grace, not the task
    row = next(r for r in sessions() if r["id"] == t.id)
    assert row["state"] == "TERMINATING" and "ignores terminating()" in row["error"]
    assert not t.terminated()
    wait_for(lambda: t.id not in [r["id"] for r in sessions()], timeout=5)
    assert f"jupyter-sessions-task-{t.id}" not in task_threads()


def test_run_ending_before_start_returns_stays_finished() -> None:
    """ChimeraX's start() racing run(): the end must win, and END must fire once."""

    class Instant(Task):
        ended = 0

        def run(self) -> str:
            return "done"

        def on_finish(self) -> None:
            type(self).ended += 1

    events: list[Event] = []
    unsubscribe = registry().subscribe(events.append)
    try:
        tasks = [open_session(Instant()) for _ in range(200)]
        for t in tasks:
            assert t.wait(10) == "done"
        wait_for(lambda: Instant.ended == 200, timeout=10)
    finally:
        unsubscribe()
    for t in tasks:
        assert t.state is SessionState.FINISHED
        states = [e.state for e in events if e.session_id == t.id and e.kind == "state"]
        assert states[-1] is SessionState.FINISHED and states.count(SessionState.FINISHED) == 1
    time.sleep(0.1)
    assert Instant.ended == 200


def test_close_racing_the_end_runs_on_finish_once_and_leaves_nothing() -> None:
    ended: list[str] = []

    class Short(Task):
        def run(self) -> None:
            time.sleep(0.002)

        def on_finish(self) -> None:
            ended.append(str(self.id))

    tasks = [open_session(Short()) for _ in range(100)]
    for t in tasks:
        t.close()
    wait_for(lambda: len(ended) == 100, timeout=10)
    assert sorted(ended) == sorted(str(t.id) for t in tasks)
    assert all(t.terminated() for t in tasks)
    wait_for(lambda: not task_threads(), timeout=5)


def test_bad_input_gets_a_clear_error() -> None:
    class NoRun(Task):
        pass

    with pytest.raises(TypeError, match="must override run"):
        open_session(NoRun())
    assert [r["state"] for r in sessions()] == ["FAILED"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        Count().progress(1.5)
    with pytest.raises(TypeError, match=r"concurrent\.futures\.Executor"):
        Task(executor="threads")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argv list"):
        Job("sleep 1")  # type: ignore[arg-type]


def test_snapshot_round_trips_through_json_and_resumes() -> None:
    t = open_session(Count(n=1000, step_s=0.001))
    wait_for(lambda: t.i >= 10, timeout=10)
    t.close()
    data = json.loads(json.dumps(t.take_snapshot()))
    assert data["n"] == 1000 and 10 <= data["start"] < 1000
    again = open_session(Count.restore_snapshot(data))
    assert again.wait(30) == 1000 and again.i == 1000
    assert Forever().take_snapshot() is None
    with pytest.raises(TypeError, match="snapshot is a dict"):
        Count.restore_snapshot([1, 2])  # type: ignore[arg-type]


def test_tasks_run_on_a_thread_pool_and_a_queued_one_never_starts() -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        first = Forever(executor=pool)
        queued = Count(n=3, step_s=0)
        queued.executor = pool
        open_session(first)
        open_session(queued)
        queued.close()
        first.close()
        assert first.state is SessionState.TERMINATED and first.terminated()
        assert queued.state is SessionState.TERMINATED and queued.i == 0
        again = open_session(
            Count(
                n=3,
                step_s=0,
            )
        )
        assert again.wait(10) == 3


# -- Job ----------------------------------------------------------------------------------


class Watched(Job):
    first_check = 0.01
    max_check = 0.08
    monitored = 0

    def monitor(self) -> None:
        self.monitored += 1
        self.progress(min(1.0, self.monitored / 10), "watching")


def test_a_job_runs_its_command_and_keeps_its_output() -> None:
    j = open_session(Watched([PY, "-c", "import time; print('out'); time.sleep(0.3)"]))
    assert j.wait(20) == 0
    wait_for(lambda: j.state is SessionState.FINISHED, timeout=5)
    assert j.returncode == 0 and j.stdout == "out\n" and j.monitored >= 3
    assert not alive(j.pid or 0)


def test_next_check_backs_off_to_its_ceiling() -> None:
    j = Job([PY, "-V"])
    waits = []
    for checks in range(10):
        j._checks = checks
        waits.append(j.next_check())
    assert waits[:4] == [0.05, 0.1, 0.2, 0.4]
    assert waits[-1] == 5.0 and waits == sorted(waits)


def test_a_failing_job_fails_with_its_stderr() -> None:
    code = "import sys; sys.stderr.write('no input file\\n'); sys.exit(3)"
    j = open_session(Job([PY, "-c", code]))
    with pytest.raises(JobError, match="exited with 3:\nno input file"):
        j.wait(20)
    wait_for(lambda: j.state is SessionState.FAILED, timeout=5)
    assert j.returncode == 3 and "exited with 3" in (j.error or "")


def test_a_job_that_cannot_start_fails_clearly() -> None:
    j = open_session(Job(["/nonexistent/simulate", "--fast"]))
    with pytest.raises(JobError, match="could not start /nonexistent/simulate --fast"):
        j.wait(10)
    wait_for(lambda: j.state is SessionState.FAILED, timeout=5)


SPAWNS = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_closing_a_job_kills_its_process_group_children_too() -> None:
    j = open_session(Watched([PY, "-c", SPAWNS]))
    child_pid = int(wait_for(lambda: j.read_output()[0].strip(), timeout=20))
    parent_pid = j.pid
    assert parent_pid is not None and alive(parent_pid) and alive(child_pid)
    j.close()
    assert j.state is SessionState.TERMINATED
    wait_for(lambda: not alive(parent_pid) and not alive(child_pid), timeout=5)
    assert j.stdout.strip() == str(child_pid)


IGNORES_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


def test_a_job_ignoring_sigterm_is_killed_after_its_grace() -> None:
    class Quick(Job):
        terminate_grace = 0.3

    j = open_session(Quick([PY, "-c", IGNORES_SIGTERM]))
    wait_for(lambda: "ready" in j.read_output()[0], timeout=20)
    pid = j.pid
    assert pid is not None
    started = time.monotonic()
    j.close()
    assert 0.3 <= time.monotonic() - started < 3.0
    assert not alive(pid) and j.terminated()


def test_a_close_that_races_the_launch_leaves_no_process() -> None:
    class ClosedWhileLaunching(Job):
        """Its owner closes it between the process starting and launch() returning."""

        def launch(self, stdout: Any, stderr: Any) -> Any:
            process = super().launch(stdout, stderr)
            closer = threading.Thread(target=self.close)
            closer.start()
            wait_for(lambda: self.terminating(), timeout=10)
            self.launched = process.pid
            return process

    j = open_session(ClosedWhileLaunching([PY, "-c", "import time; time.sleep(600)"]))
    wait_for(lambda: j.state is SessionState.TERMINATED, timeout=20)
    wait_for(lambda: not alive(j.launched), timeout=10)
    assert j.terminated()


# -- Dask ----------------------------------------------------------------------------------


class Square(Task):
    """Plain data in, plain data out: runs anywhere it can be pickled to."""

    def __init__(self, x: int, executor: Any = None) -> None:
        super().__init__(executor=executor)
        self.x = x

    def run(self) -> dict[str, Any]:
        import os

        if self.x < 0:
            raise ValueError("x must not be negative")
        return {"square": self.x * self.x, "pid": os.getpid()}


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[concurrent.futures.Executor]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


def test_tasks_run_on_a_dask_cluster(dask_executor: concurrent.futures.Executor) -> None:
    t = open_session(Square(7, executor=dask_executor))
    result = t.wait(60)
    assert result["square"] == 49 and result["pid"] != __import__("os").getpid()
    wait_for(lambda: t.state is SessionState.FINISHED, timeout=10)
    bad = open_session(Square(-1, executor=dask_executor))
    with pytest.raises(ValueError, match="must not be negative"):
        bad.wait(60)
    wait_for(lambda: bad.state is SessionState.FAILED, timeout=10)
    assert bad.error == "ValueError: x must not be negative"
