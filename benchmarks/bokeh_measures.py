"""bench_bokeh's four measurements, each run on one side's kernel.

Row 1, :func:`measure_open_cost`; row 2, :func:`measure_cleanup`; row 3,
:func:`measure_reruns`; row 4, :func:`measure_busy`; row 5, :func:`measure_streak`.
Every one of them ends with its app closed; a failure raises (the caller records it and carries on).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import psutil
from bokeh_sides import TIMEOUT, Shown, Side
from timing import first_truthy, median, percentile

from tests.support.bokeh_client import ViewClient

PERIOD = 0.25  # seconds, both sides' periodic callback
BUSY_SECONDS = 2.0
BROWSE_EVERY = 10  # row 3: a browser connects to every 10th output (time budget)
RERUN_CAP_S = 420.0  # row 3: stop a re-run loop that takes longer than this (reported)


@dataclass(frozen=True)
class Plan:
    """How many samples each measurement takes."""

    open_cells: int
    cleanup_reps: int
    reruns: int
    busy_reps: int
    baseline_after: int = 20
    warmup: int = 3

    streak: int = 35


FULL = Plan(open_cells=30, cleanup_reps=20, reruns=1000, busy_reps=3)
QUICK = Plan(open_cells=15, cleanup_reps=8, reruns=200, busy_reps=2, streak=20)


# -- small helpers ------------------------------------------------------------------


def listening_sockets(pid: int) -> int:
    """How many TCP sockets process ``pid`` listens on."""
    conns = psutil.Process(pid).net_connections(kind="tcp")
    return sum(c.status == psutil.CONN_LISTEN for c in conns)


def settle(side: Side, server_sessions: int, timeout: float = 5.0) -> None:
    """Wait until at most ``server_sessions`` Bokeh server sessions are alive in the kernel.

    jupyter-sessions discards closed views asynchronously, a few ms after the close
    (``jupyter_sessions/bokeh/server/teardown.py``); Bokeh's destroy_server is synchronous,
    so there this returns at once.
    """
    first_truthy(
        lambda: side.value("side.live_server_sessions()") <= server_sessions, timeout, interval=0.05
    )


def wait_ticks(side: Side, key: str | None, count: int = 2, timeout: float = 10.0) -> None:
    """Wait until app ``key`` has ticked ``count`` times in the kernel."""
    if not first_truthy(lambda: side.value(f"bench.tick_count({key!r})") >= count, timeout):
        raise RuntimeError(f"{key} did not tick {count} times within {timeout} s")


def close_quietly(client: ViewClient | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def retire(client: ViewClient | None, wait: float) -> bool:
    """Drop the websocket of an output that went away, as the browser does.

    First read what is pending for up to ``wait`` s, answering a close frame as a
    browser would; True if the server had closed the websocket itself.
    """
    if client is None:
        return False
    try:
        closed = client.closed_by_server(wait)
    except Exception:
        closed = True
    close_quietly(client)
    return closed


def drain(client: ViewClient, limit: float = 2.0) -> None:
    """Read and discard what the server already sent (at most ``limit`` s)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and client.receive(0.01) is not None:
        pass


# -- the measurements ---------------------------------------------------------------


def measure_open_cost(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 1: a cell's round trip when it opens an app, minus an empty cell's; and a re-run's.

    Fresh cell ids, empty and opening cells interleaved. Each opened cell, once its
    app is ready (``Side.ready``), is re-run (closing the old app, opening a new
    one), also timed. The app is closed after each sample, untimed, and its server
    sessions are gone before the next one. Warm-up cells (imports, first server
    start) are dropped.
    """
    empty: list[float] = []
    opening: list[float] = []
    rerunning: list[float] = []
    for i in range(plan.warmup + plan.open_cells):
        _, _, seconds = side.execute("pass", f"empty-{i}")
        run = side.open(f"open-{i}", keyed=False)
        side.ready(run.shown)
        side.dispose(run.shown)
        rerun = side.open(f"open-{i}", keyed=False)
        side.close_untimed(rerun.shown)
        settle(side, 0)
        if i >= plan.warmup:
            empty.append(seconds)
            opening.append(run.seconds)
            rerunning.append(rerun.seconds)
    base = median(empty)
    costs = [(s - base) * 1000 for s in opening]
    reruns = [(s - base) * 1000 for s in rerunning]
    return {
        "empty_ms": base * 1000,
        "median_ms": median(costs),
        "p95_ms": percentile(costs, 0.95),
        "n": len(costs),
        "samples_ms": costs,
        "rerun_median_ms": median(reruns),
        "rerun_p95_ms": percentile(reruns, 0.95),
        "rerun_samples_ms": reruns,
    }


def measure_cleanup(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 2: from the re-run reaching the kernel to the old app's callbacks stopping.

    t0 is the in-kernel start (IPython pre_execute) of the first execution the
    re-run sends: the cell for jupyter-sessions, jupyter_bokeh's destroy_server
    code for Bokeh. "Stopped" is when the close finished (jupyter-sessions'
    registry "removed" event) or when destroy_server returned (Bokeh). Old ticks
    after that are counted; "destroyed" is when every Bokeh server session of the
    old output was destroyed (watcher thread in the kernel).
    """
    stop_ms: list[float] = []
    destroyed_ms: list[float] = []
    late_ticks = 0
    missing = 0
    server_closed = 0
    current = side.open("anim").shown
    client: ViewClient | None = side.browse(current)
    try:
        for _ in range(plan.cleanup_reps):
            wait_ticks(side, current.key)
            side.watch(current)
            dispose_msg = side.dispose(current)
            run = side.open("anim")
            server_closed += retire(client, wait=0.3)
            client = None
            first = dispose_msg or run.msg_id
            key = current.key
            record = side.value(
                f"bench.rerun_record({key!r}, {first!r}, side.stop_time({key!r}, {dispose_msg!r}))"
            )
            destroyed = first_truthy(
                partial(side.value, f"bench.DESTROYED.get({key!r})"), timeout=10.0
            )
            t0, stopped = record["t0"], record["stopped"]
            if t0 is None or stopped is None:
                missing += 1
            else:
                stop_ms.append((stopped - t0) * 1000)
                late_ticks += sum(t > stopped for t in record["ticks"])
            if destroyed is not None and t0 is not None:
                destroyed_ms.append((destroyed - t0) * 1000)
            current = run.shown
            client = side.browse(current)
    finally:
        close_quietly(client)
        side.close_untimed(current)
    return {
        "stop_ms": stop_ms,
        "destroyed_ms": destroyed_ms,
        "late_ticks": late_ticks,
        "missing": missing,
        "server_closed": server_closed,
        "n": plan.cleanup_reps,
    }


def measure_busy(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 4: periodic callbacks while another cell runs ``time.sleep(2)``.

    Counts in-kernel ticks inside each busy cell's own start..end, and PATCH-DOC
    messages the browser receives during the 2 s after the busy cell was sent.
    """
    current = side.open("live").shown
    client = side.browse(current)
    try:
        wait_ticks(side, current.key)
        patches = 0
        for _ in range(plan.busy_reps):
            drain(client)
            msg_id = side.nb.send_execute(
                f"bench.busy({BUSY_SECONDS})",
                {"recordTiming": False, "cellId": "busy", "deletedCells": []},
            )
            patches += client.count_patches(BUSY_SECONDS)
            reply = side.nb.collect(msg_id, TIMEOUT)
            if reply.status != "ok":
                raise RuntimeError(f"busy cell failed:\n{reply.traceback}")
        rows = side.value(f"bench.busy_ticks({current.key!r})")
    finally:
        close_quietly(client)
        side.close_untimed(current)
    ticks = sum(count for count, _ in rows)
    nominal_ticks = sum(seconds for _, seconds in rows) / PERIOD
    nominal_patches = plan.busy_reps * BUSY_SECONDS / PERIOD
    return {
        "ticks": ticks,
        "nominal_ticks": nominal_ticks,
        "tick_pct": 100 * ticks / nominal_ticks,
        "patches": patches,
        "nominal_patches": nominal_patches,
        "patch_pct": 100 * patches / nominal_patches,
    }


def snapshot(side: Side) -> dict[str, Any]:
    """What the kernel holds now (after gc.collect in the kernel), plus RSS and sockets."""
    held = side.value("side.holdings()")
    held["rss_mb"] = psutil.Process(side.nb.pid).memory_info().rss / 2**20
    held["listening"] = listening_sockets(side.nb.pid)
    return dict(held)


def settled_snapshot(side: Side) -> dict[str, Any]:
    """A snapshot once closed views are gone (jupyter-sessions discards them async)."""
    settle(side, 1)
    return snapshot(side)


def measure_reruns(
    side: Side, plan: Plan, cleanup: bool = True, browse_every: int = BROWSE_EVERY
) -> dict[str, Any]:
    """Row 3: re-run one cell ``plan.reruns`` times; what the kernel holds afterwards.

    The baseline is taken after the first ``plan.baseline_after`` re-runs, so imports
    and first-use allocations do not count as growth. A browser connects to every
    ``browse_every``-th output (0: never), including the ones just before the
    baseline and the last, and drops its websocket after the next re-run.
    """
    side.value("bench.stop_recording()")
    current: Shown | None = None
    client: ViewClient | None = None
    browsed_ms: list[float] = []
    unbrowsed_ms: list[float] = []
    seconds: list[float] = []
    baseline: dict[str, Any] = {}
    started = time.monotonic()
    done = 0
    try:
        for i in range(plan.reruns):
            if time.monotonic() - started > RERUN_CAP_S and i > plan.baseline_after:
                break
            done = i + 1
            if i == plan.baseline_after:
                baseline = settled_snapshot(side)
            if cleanup and current is not None:
                side.dispose(current)
            run = side.open("rerun-cell", keyed=False)
            seconds.append(run.seconds)
            if current is not None:
                (browsed_ms if client is not None else unbrowsed_ms).append(run.seconds * 1000)
            retire(client, wait=0.05)
            client = None
            current = run.shown
            if browse_every and ((i + 1) % browse_every == 0 or i + 1 == plan.reruns):
                client = side.browse(current)
        if client is None and browse_every and current is not None:
            client = side.browse(current)  # stopped early: end as a browsed output too
        final = settled_snapshot(side)
    finally:
        close_quietly(client)
    window = min(100, len(seconds) // 2)
    return {
        "n": plan.reruns,
        "done": done,
        "baseline_after": plan.baseline_after,
        "browse_every": browse_every,
        "baseline": baseline,
        "final": final,
        "rss_growth_mb": final["rss_mb"] - baseline["rss_mb"],
        "browsed_ms": browsed_ms,
        "unbrowsed_ms": unbrowsed_ms,
        "first_ms": median(seconds[:window]) * 1000,
        "last_ms": median(seconds[-window:]) * 1000,
        "window": window,
        "wall_s": time.monotonic() - started,
    }


def measure_streak(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 5: "Run all" with no page: one cell re-run ``plan.streak`` times back to back.

    Against ``plan.streak`` first opens (each in a new cell, closed untimed before the
    next), as a user measures it: the whole round trip of each execute_request, no
    browser anywhere, nothing waited for between the re-runs. A re-run that pays for
    work nobody sees (a first view built for an output already gone) shows up here.
    """
    first: list[float] = []
    for i in range(plan.warmup + plan.streak):
        run = side.open(f"first-{i}", keyed=False)
        side.close_untimed(run.shown)
        settle(side, 0)
        if i >= plan.warmup:
            first.append(run.seconds * 1000)
    again: list[float] = []
    current: Shown | None = None
    for _ in range(plan.streak + 1):
        if current is not None:
            side.dispose(current)
        run = side.open("streak", keyed=False)
        if current is not None:  # the first run of the cell is an open, not a re-run
            again.append(run.seconds * 1000)
        current = run.shown
    assert current is not None
    side.close_untimed(current)
    settle(side, 0)
    return {
        "first_ms": first,
        "rerun_ms": again,
        "n": plan.streak,
        "ratio": median(again) / median(first),
    }
