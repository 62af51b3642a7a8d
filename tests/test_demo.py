"""The demo notebook runs top to bottom in a real kernel, cell ids and all."""

from __future__ import annotations

from pathlib import Path

import nbformat

from .support.notebook_kernel import NotebookKernel
from .support.processes import alive
from .support.waits import wait_for

DEMO = Path(__file__).parent.parent / "notebooks" / "demo.ipynb"


def run_cells(kernel: NotebookKernel, notebook: nbformat.NotebookNode) -> None:
    """Run every code cell with its id, as JupyterLab's Run All would; skip the busy demo."""
    for cell in notebook.cells:
        if cell.cell_type != "code" or "time.sleep(5)" in cell.source:
            continue
        reply = kernel.run(cell.source, cell_id=cell.id)
        assert reply.status == "ok", f"cell {cell.id} failed:\n{reply.traceback}"


def test_demo_notebook_runs_and_ends_with_one_session() -> None:
    notebook = nbformat.read(DEMO, as_version=4)
    kernel = NotebookKernel()
    try:
        run_cells(kernel, notebook)
        rows = kernel.value("__import__('jupyter_sessions').sessions()")
        assert [(r["type"], r["state"], r.get("callback_period")) for r in rows] == [
            ("MySession", "RUNNING", 0.25),
            ("asyncio.Task", "RUNNING", None),
            ("subprocess.Popen", "RUNNING", None),
        ]
        pid = kernel.value("child.pid")
        owning = next(c for c in notebook.cells if c.cell_type == "code" and "own(" in c.source)
        reply = kernel.run(owning.source, cell_id=owning.id)  # re-run: the old ones go
        assert reply.status == "ok", reply.traceback
        wait_for(lambda: not alive(pid), timeout=30)  # SIGTERM at once, SIGKILL 2 s later
        assert kernel.value("child.pid") != pid
        assert kernel.value("len(__import__('jupyter_sessions').sessions())") == 3
    finally:
        kernel.close()


TASKS = Path(__file__).parent.parent / "notebooks" / "tasks.ipynb"


def test_tasks_notebook_runs_and_a_rerun_stops_its_counter() -> None:
    notebook = nbformat.read(TASKS, as_version=4)
    kernel = NotebookKernel()
    try:
        counter_cell = None
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            reply = kernel.run(cell.source, cell_id=cell.id)
            assert reply.status == "ok", f"cell {cell.id} failed:\n{reply.traceback}"
            if "open_session(Count(" in cell.source:
                counter_cell = cell
        assert counter_cell is not None
        assert kernel.value("job.returncode") == 0
        assert kernel.value("result.ok") is True
        kernel.run("first = counter", cell_id="scratch")
        rerun = kernel.run(counter_cell.source, cell_id=counter_cell.id)
        assert rerun.status == "ok", rerun.traceback
        assert kernel.value("[first.state.value, first.i < first.n]") == ["TERMINATED", True]
        rows = kernel.value("__import__('jupyter_sessions').sessions()")
        assert sorted((r["type"], r["state"]) for r in rows) == [
            ("Count", "RUNNING"),
            ("Job", "FINISHED"),
            ("PersistentProcess", "RUNNING"),
        ]
    finally:
        kernel.close()


APPS_DEMO = Path(__file__).parent.parent / "notebooks" / "apps.ipynb"


def test_apps_notebook_runs_a_bokeh_and_a_panel_app() -> None:
    kernel = NotebookKernel()
    try:
        run_cells(kernel, nbformat.read(APPS_DEMO, as_version=4))
        rows = kernel.value("__import__('jupyter_sessions').sessions()")
        assert [(r["type"], r["state"]) for r in rows] == [
            ("BokehApp", "RUNNING"),
            ("PanelApp", "RUNNING"),
        ]
        # The Bokeh app's own 100 ms callback runs once the cell replied.
        wobbled = "s1.update(lambda v: len(v.doc.session_callbacks))"
        assert kernel.value(wobbled) == [1]
    finally:
        kernel.close()
