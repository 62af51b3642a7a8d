"""The comparison both Bokeh benchmarks make, harness side.

jupyter-sessions against what a Bokeh user has today: ``output_notebook()`` then
``show(app)``, cleaned up by jupyter_bokeh's renderer, which runs
``destroy_server(server_id)`` as code in the kernel when the output goes away.
Here: the code that renderer sends, and the side-by-side table both print.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

OURS = "jupyter-sessions"


def jupyter_bokeh_dispose_code() -> str:
    """The code jupyter_bokeh's renderer runs in the kernel on dispose(), with {server_id}.

    Read from the installed labextension bundle so the harness sends what JupyterLab
    would; exits with a clear message if jupyter_bokeh is missing.
    """
    spec = importlib.util.find_spec("jupyter_bokeh")
    if spec is None or spec.origin is None:
        sys.exit("jupyter_bokeh is not installed; run: .venv/bin/pip install jupyter_bokeh")
    static = Path(spec.origin).parent / "labextension" / "static"
    pattern = re.compile(
        r"code:`(import bokeh\.io\.notebook as ion; ion\.destroy_server\(\"\$\{"
        r"this\._server_id\}\"\))`"
    )
    for bundle in sorted(static.glob("*.js")):
        match = pattern.search(bundle.read_text(errors="replace"))
        if match:
            return match.group(1).replace("${this._server_id}", "{server_id}")
    sys.exit(
        f"jupyter_bokeh's renderer bundle in {static} has no destroy_server call; "
        "this benchmark was written against jupyter_bokeh 4.x"
    )


@dataclass
class Row:
    """One line of the table: a value per side and, where there is one, a target."""

    metric: str
    ours: str
    anchor: str
    target: str = ""
    passed: dict[str, bool | None] = field(default_factory=dict)


def verdict(ok: bool | None) -> str:
    """ " PASS" / " FAIL" after a value that has a target; nothing if it could not be told."""
    return "" if ok is None else (" PASS" if ok else " FAIL")


def markdown(table: list[Row], anchor: str) -> str:
    """The table in Markdown, jupyter-sessions' column first, then ``anchor``'s."""
    lines = [f"| Metric | {OURS} | {anchor} | Target |", "|---|---|---|---|"]
    lines += [f"| {r.metric} | {r.ours} | {r.anchor} | {r.target} |" for r in table]
    return "\n".join(lines)
