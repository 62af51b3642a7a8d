"""The registry and the one lifecycle, in-process: close once, in order, whatever fails."""

from __future__ import annotations

import logging
import threading

import pytest

from jupyter_sessions.core.registry import Event, Registry
from jupyter_sessions.core.session import Session, SessionState, StillRunning


class Resource(Session):
    """A session kind holding named resources, releasing them into ``released``."""

    kind = "resource"

    def __init__(self, *names: str, fail: tuple[str, ...] = ()) -> None:
        self.names = names
        self.fail = fail
        self.released: list[str] = []

    def _start(self) -> None:
        for name in self.names:
            self._defer(self._release, name)

    def _release(self, name: str) -> None:
        self.released.append(name)
        if name in self.fail:
            raise OSError(f"{name} was already gone")


def opened(registry: Registry, session: Session, cell: str | None = "cell") -> Session:
    """Open ``session`` the one way open_session and restarts do, in ``registry``."""
    assert registry.add(session, cell).start(session._start)
    return session


def test_teardowns_run_newest_first_and_failures_do_not_stop_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = opened(Registry(), Resource("port", "thread", "process", fail=("thread",)))
    with caplog.at_level(logging.WARNING, logger="jupyter_sessions"):
        session.close()
    assert session.released == ["process", "thread", "port"]
    assert session.state is SessionState.TERMINATED
    assert "already gone" in caplog.text


def test_close_runs_once_whichever_threads_race(caplog: pytest.LogCaptureFixture) -> None:
    registry = Registry()
    session = opened(registry, Resource("a", "b"))
    barrier = threading.Barrier(8)

    def close() -> None:
        barrier.wait(timeout=5)
        session.close()

    threads = [threading.Thread(target=close) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert session.released == ["b", "a"]
    assert registry.all() == []


def test_events_tell_the_whole_story_in_order() -> None:
    registry = Registry()
    events: list[Event] = []
    registry.subscribe(events.append)
    session = opened(registry, Resource("a"), cell="c1")
    session.close()
    assert [(e.kind, e.state.value) for e in events] == [
        ("added", "PENDING"),
        ("state", "RUNNING"),
        ("state", "TERMINATING"),
        ("state", "TERMINATED"),
        ("removed", "TERMINATED"),
    ]
    assert {e.cell for e in events} == {"c1"} and {e.session_kind for e in events} == {"resource"}


def test_a_failing_listener_is_logged_and_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = Registry()
    heard: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    registry.subscribe(broken)
    unsubscribe = registry.subscribe(lambda e: heard.append(e.kind))
    with caplog.at_level(logging.WARNING, logger="jupyter_sessions"):
        opened(registry, Resource()).close()
    assert heard[0] == "added" and heard[-1] == "removed"
    assert "listener bug" in caplog.text
    unsubscribe()
    opened(registry, Resource())
    assert heard[-1] == "removed"


def test_an_ended_session_holds_nothing_and_stays_listed_until_closed() -> None:
    registry = Registry()
    session = opened(registry, Resource("worker"))
    assert session._end(SessionState.CRASHED, "signal 9")
    assert session.released == ["worker"]
    assert registry.all() == [session] and session.error == "signal 9"
    assert not session._end(SessionState.FAILED, "late report")
    assert session.state is SessionState.CRASHED
    session.close()
    assert registry.all() == [] and session.state is SessionState.CRASHED


def test_sessions_are_found_by_cell_and_closed_newest_first() -> None:
    registry = Registry()
    order: list[str] = []
    a1, a2, b = (
        opened(registry, Resource(n), cell=c) for n, c in (("a1", "a"), ("a2", "a"), ("b", "b"))
    )
    registry.subscribe(lambda e: order.append(e.session_id) if e.kind == "removed" else None)
    assert registry.owned_by(["a"]) == [a1, a2]
    assert registry.close(registry.owned_by(["a"])) == 2
    assert order == [a2.id, a1.id]
    assert registry.all() == [b]
    assert registry.get(str(b.id)) is b


def test_unopened_sessions_say_so() -> None:
    session = Resource()
    assert session.state is SessionState.PENDING and session.id is None
    session.close()  # harmless
    with pytest.raises(RuntimeError, match="open_session"):
        session._defer(print)


def test_restart_releases_and_starts_again_with_the_same_id() -> None:
    registry = Registry()
    session = opened(registry, Resource("worker"))
    session._end(SessionState.CRASHED, "signal 11")
    session._restart()
    assert session.state is SessionState.RUNNING and session.error is None
    assert registry.all() == [session]
    session.close()
    assert session.released == ["worker", "worker"]
    with pytest.raises(RuntimeError, match="closed"):
        session._restart()


def test_a_teardown_deferred_after_close_runs_at_once() -> None:
    session = opened(Registry(), Resource("port"))
    session.close()
    session._defer(session._release, "late thread")
    assert session.released == ["port", "late thread"]


def test_a_start_that_fails_records_the_cause_and_releases_what_it_took() -> None:
    class Failing(Resource):
        def _start(self) -> None:
            super()._start()
            raise RuntimeError("could not start") from ValueError("bad port")

    registry = Registry()
    session = Failing("port")
    with pytest.raises(RuntimeError, match="could not start"):
        registry.add(session, "cell").start(session._start)
    assert session.state is SessionState.FAILED and session.error == "ValueError: bad port"
    assert session.released == ["port"]


def test_what_still_runs_after_close_is_listed_until_it_ends() -> None:
    registry = Registry()
    stop_for_real = threading.Event()
    worker = threading.Thread(target=stop_for_real.wait, args=(10,))
    worker.start()

    class Stubborn(Session):
        def _start(self) -> None:
            self._defer(lambda: StillRunning("ignores its stop flag", worker.is_alive))

    session = opened(registry, Stubborn())
    session.close()
    assert registry.all() == [] and registry.lingering() == [session]
    assert session.state is SessionState.TERMINATING
    assert session._opened().still_running().startswith("ignores its stop flag: still running")
    stop_for_real.set()
    worker.join(timeout=10)
    assert registry.lingering() == [] and session.state is SessionState.TERMINATED
