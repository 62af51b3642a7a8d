"""PersistentProcess against real Jupyter kernels (jupyter_client), outside a notebook."""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from jupyter_sessions import (
    PersistentProcess,
    ProcessCrashed,
    ProcessTimeout,
    SessionError,
    SessionState,
    kill_all,
    open_session,
)
from jupyter_sessions.core.registry import Event, registry
from jupyter_sessions.interpreters import kernel, pool

from .support.processes import alive
from .support.waits import wait_for


@pytest.fixture
def proc() -> Iterator[PersistentProcess]:
    p = open_session(PersistentProcess(group="test"))
    try:
        yield p
    finally:
        p.close()


def test_output_is_ordered_rich_and_the_result_says_ok_or_error(proc: PersistentProcess) -> None:
    code = (
        "import sys\nfor i in range(3):\n    print('out', i, flush=True)\n"
        "    print('err', i, file=sys.stderr, flush=True)\n"
        "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))\n41 + 1"
    )
    result = proc.issue_command(code, echo=False)
    assert result.ok
    streams = [(m["type"], m["data"].strip()) for m in result if m["type"] in ("stdout", "stderr")]
    assert streams == [
        (k, f"{w} {i}") for i in range(3) for k, w in (("stdout", "out"), ("stderr", "err"))
    ]
    kinds = [m["type"] for m in result]
    assert kinds[-2:] == ["display_data", "execute_result"]
    assert result.messages[-2]["data"]["text/html"] == "<b>hi</b>"
    assert result.messages[-1]["data"]["text/plain"] == "42"
    failed = proc.issue_command("1 / 0", echo=False)
    assert not failed.ok and failed.error is not None
    assert failed.error["ename"] == "ZeroDivisionError"
    assert proc.issue_command("print('still here')", echo=False).stdout == "still here\n"


def test_state_completions_is_complete_and_history(proc: PersistentProcess) -> None:
    proc.issue_command("persistent_value = 7", echo=False)
    assert proc.issue_command("print(persistent_value)", echo=False).stdout == "7\n"
    assert "persistent_value" in proc.completions("persist")
    assert proc.is_complete("for i in range(3):") == "incomplete"
    assert proc.is_complete("x = 1") == "complete"
    assert proc.history() == ["persistent_value = 7", "print(persistent_value)"]
    assert proc.history(1) == ["print(persistent_value)"]
    assert proc.alive


def test_handles_with_one_key_share_a_kernel_until_the_last_closes() -> None:
    a = open_session(PersistentProcess(group="shared"))
    b = open_session(PersistentProcess(group="shared"))
    other = open_session(PersistentProcess(group="other"))
    try:
        assert a.pid == b.pid and a.pid != other.pid
        a.issue_command("shared_x = 5", echo=False)
        assert b.issue_command("print(shared_x)", echo=False).stdout == "5\n"
        pid = a.pid
        a.close()
        assert alive(pid) and b.issue_command("print(1)", echo=False).ok
        b.close()
        wait_for(lambda: not alive(pid), timeout=10)
        assert alive(other.pid)
    finally:
        for p in (a, b, other):
            p.close()


def test_kill_9_mid_command_is_reported_at_once_and_restart_recovers(
    proc: PersistentProcess,
) -> None:
    pid = proc.pid
    assert pid is not None
    threading.Timer(1.0, os.kill, (pid, signal.SIGKILL)).start()
    started = time.monotonic()
    with pytest.raises(ProcessCrashed, match="restart"):
        proc.issue_command("import time\nwhile True: time.sleep(0.1)", echo=False)
    assert time.monotonic() - started < 10  # far below the 600 s command timeout
    assert proc.state is SessionState.CRASHED and not proc.alive
    with pytest.raises(ProcessCrashed):
        proc.issue_command("1", echo=False)
    proc.restart()
    assert proc.state is SessionState.RUNNING and proc.pid != pid
    assert proc.issue_command("print(2)", echo=False).stdout == "2\n"


def test_an_idle_kernel_killed_between_commands_is_reported_without_a_command(
    proc: PersistentProcess,
) -> None:
    pid = proc.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # Nobody touches proc: the pool's watcher thread notices.
    wait_for(lambda: proc.state is SessionState.CRASHED, timeout=5, interval=0.05)
    assert "exited" in (proc.error or "")
    proc.close()
    wait_for(
        lambda: "jupyter-sessions-process-watch" not in [t.name for t in threading.enumerate()],
        timeout=5,
    )


def test_ten_megabytes_of_output_do_not_block(proc: PersistentProcess) -> None:
    result = proc.issue_command(
        "import sys\nsys.stdout.write('x' * 10_000_000)", echo=False, timeout=60
    )
    assert result.ok and len(result.stdout) == 10_000_000


def test_interrupt_stops_an_infinite_loop_and_the_process_lives_on(proc: PersistentProcess) -> None:
    proc.issue_command("kept = 3", echo=False)
    threading.Timer(1.0, proc.interrupt).start()
    result = proc.issue_command("while True: pass", echo=False, timeout=30)
    assert not result.ok and result.error is not None
    assert result.error["ename"] == "KeyboardInterrupt"
    assert proc.issue_command("print(kept)", echo=False).stdout == "3\n"


def test_restart_gives_a_fresh_interpreter_and_kill_ends_the_session(
    proc: PersistentProcess,
) -> None:
    proc.issue_command("gone = 1", echo=False)
    old = proc.pid
    proc.restart()
    assert proc.history() == []
    result = proc.issue_command("gone", echo=False)
    assert result.error is not None and result.error["ename"] == "NameError"
    pid = proc.pid
    assert pid != old and not alive(old)
    proc.kill()
    assert proc.state is SessionState.TERMINATED and not alive(pid)
    with pytest.raises(SessionError, match="closed"):
        proc.issue_command("1", echo=False)


def test_restart_is_the_one_restart_and_sharers_see_a_fresh_interpreter_too() -> None:
    a = open_session(PersistentProcess(group="fresh"))
    b = open_session(PersistentProcess(group="fresh"))
    try:
        events: list[Event] = []
        unsubscribe = registry().subscribe(events.append)
        b.issue_command("gone = 1", echo=False)
        pid = a.pid
        a.restart()
        unsubscribe()
        # Released and started again through the lifecycle, like every kind's restart.
        assert [(e.session_id, e.state.value) for e in events] == [
            (a.id, "PENDING"),
            (a.id, "RUNNING"),
        ]
        assert a.state is b.state is SessionState.RUNNING and a.pid == b.pid
        assert a.pid != pid and not alive(pid)
        result = b.issue_command("gone", echo=False)
        assert result.error is not None and result.error["ename"] == "NameError"
    finally:
        a.close()
        b.close()
    assert pool.live() == []


def _kernel_spec(monkeypatch: pytest.MonkeyPatch, root: Path, name: str, script: str) -> None:
    """A kernel spec ``name`` found under ``root``, whose process runs the shell ``script``."""
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    spec = root / "kernels" / name
    spec.mkdir(parents=True)
    argv = ["sh", "-c", script]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )


def test_a_slow_kernel_start_holds_up_no_other_kind_of_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, go = tmp_path / "slow-started", tmp_path / "slow-go"
    # A kernel whose process comes up only when the test says so, and says when it began.
    _kernel_spec(
        monkeypatch,
        tmp_path,
        "slow",
        f"touch {started}; while [ ! -e {go} ]; do sleep 0.05; done; "
        f"exec {sys.executable} -m ipykernel_launcher -f {{connection_file}}",
    )
    slow: concurrent.futures.Future[PersistentProcess] = concurrent.futures.Future()

    def open_slow() -> None:
        try:
            slow.set_result(open_session(PersistentProcess("slow", startup_timeout=120)))
        except BaseException as exc:
            slow.set_exception(exc)
        finally:
            pool._close_thread_loop()  # jupyter_client's blocking start left one here

    threading.Thread(target=open_slow).start()
    wait_for(started.exists, timeout=30)
    fast = open_session(PersistentProcess(group="fast"))
    try:
        assert not slow.done()  # the pool is not locked while "slow" starts
        assert fast.issue_command("print(1)", echo=False).stdout == "1\n"
    finally:
        fast.close()
        go.touch()
    late = slow.result(timeout=120)
    try:
        assert late.issue_command("print(2)", echo=False).stdout == "2\n"
    finally:
        late.close()
    assert pool.live() == []


def test_a_kernel_that_does_not_answer_in_time_fails_the_open_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "pid"
    _kernel_spec(monkeypatch, tmp_path, "mute", f"echo $$ > {pid_file}; exec sleep 600")
    handle = PersistentProcess("mute", startup_timeout=2)
    with pytest.raises(SessionError, match="could not start"):
        open_session(handle)
    pid = int(pid_file.read_text())
    wait_for(lambda: not alive(pid), timeout=10)
    assert pool.live() == []
    handle.close()  # listed, crashed, until its cell or this closes it


def test_kill_of_one_handle_crashes_its_sharers_and_kill_all_closes_all() -> None:
    a = open_session(PersistentProcess(group="k"))
    b = open_session(PersistentProcess(group="k"))
    c = open_session(PersistentProcess(group="k2"))
    pid_c = c.pid
    a.kill()
    assert b.state is SessionState.CRASHED and "killed" in (b.error or "")
    assert kill_all() == 2  # b (crashed, still listed) and c
    assert c.state is SessionState.TERMINATED and not alive(pid_c)
    assert pool.live() == []


def test_a_kernel_that_dies_at_start_is_started_again_on_new_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What jupyter_client's port race does to a kernel: it dies before it answers.
    # The first start records its connection file and exits; later ones run ipykernel.
    first = tmp_path / "first-start.json"
    _kernel_spec(
        monkeypatch,
        tmp_path,
        "dies-once",
        f"if [ ! -e {first} ]; then cp {{connection_file}} {first}; exit 1; fi; "
        f"exec {sys.executable} -m ipykernel_launcher -f {{connection_file}}",
    )
    p = open_session(PersistentProcess("dies-once"))
    try:
        assert p.issue_command("print(6 * 7)", echo=False).stdout == "42\n"
        died_on = json.loads(first.read_text())
        now_on = pool.live()[0].manager.get_connection_info()
        ports = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        assert [died_on[k] for k in ports] != [now_on[k] for k in ports]
    finally:
        p.close()
    assert pool.live() == []


def test_a_kernel_that_always_dies_at_start_fails_the_open_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = tmp_path / "starts"
    _kernel_spec(monkeypatch, tmp_path, "dies", f"echo start >> {starts}; exit 3")
    handle = PersistentProcess("dies")
    with pytest.raises(SessionError, match=r"could not start: it died at start 3 times"):
        open_session(handle)
    assert starts.read_text().count("start") == kernel.START_ATTEMPTS
    assert pool.live() == []
    handle.close()


def test_a_kernel_that_cannot_start_fails_the_open() -> None:
    with pytest.raises(SessionError, match="could not start"):
        open_session(PersistentProcess("no-such-kernel"))
    assert pool.live() == []


def _julia_kernel() -> str | None:
    names = [n for n in KernelSpecManager().find_kernel_specs() if n.startswith("julia")]
    return names[0] if names and shutil.which("julia") else None


@pytest.mark.skipif(_julia_kernel() is None, reason="no Julia kernel (IJulia) installed")
def test_julia() -> None:
    p = open_session(PersistentProcess(str(_julia_kernel()), startup_timeout=120))
    try:
        assert p.issue_command('println("hi from julia")', echo=False).stdout == "hi from julia\n"
    finally:
        p.close()


def test_a_timed_out_command_is_interrupted_and_its_late_output_not_misattributed(
    proc: PersistentProcess,
) -> None:
    slow = "import time\ntry:\n    time.sleep(30)\nfinally:\n    print('late')"
    with pytest.raises(ProcessTimeout, match="interrupted"):
        proc.issue_command(slow, echo=False, timeout=1)
    result = proc.issue_command("print('next')", echo=False)
    assert result.stdout == "next\n" and proc.alive


def test_restart_interrupts_a_command_running_on_another_thread(proc: PersistentProcess) -> None:
    results: list[BaseException | bool] = []

    def run() -> None:
        try:
            results.append(proc.issue_command("while True: pass", echo=False, timeout=60).ok)
        except BaseException as exc:
            results.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(1.0)
    proc.restart()
    worker.join(timeout=30)
    assert results == [False]  # KeyboardInterrupt, not a crash
    assert proc.state is SessionState.RUNNING
    assert proc.issue_command("print(3)", echo=False).stdout == "3\n"


def test_requests_while_another_thread_runs_a_command_wait_with_a_limit(
    proc: PersistentProcess,
) -> None:
    worker = threading.Thread(
        target=lambda: proc.issue_command("import time; time.sleep(3)", echo=False)
    )
    worker.start()
    time.sleep(0.5)
    with pytest.raises(ProcessTimeout, match="busy"):
        proc.issue_command("1", echo=False, timeout=0.5)
    worker.join(timeout=30)
    assert proc.issue_command("print(4)", echo=False).stdout == "4\n"
