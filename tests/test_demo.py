"""The demo notebook runs top to bottom in a real kernel, cell ids and all."""

from __future__ import annotations

from pathlib import Path

import nbformat

from .notebook_kernel import NotebookKernel

DEMO = Path(__file__).parent.parent / "notebooks" / "demo.ipynb"


def test_demo_notebook_runs_and_ends_with_one_session() -> None:
    notebook = nbformat.read(DEMO, as_version=4)
    kernel = NotebookKernel()
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code" or "time.sleep" in cell.source:
                continue
            reply = kernel.run(cell.source, cell_id=cell.id)
            assert reply.status == "ok", f"cell {cell.id} failed:\n{reply.traceback}"
        rows = kernel.value("__import__('jupyter_sessions').sessions()")
        assert [(r["type"], r["state"], r["callback_period"]) for r in rows] == [
            ("MySession", "RUNNING", 0.25)
        ]
    finally:
        kernel.close()
