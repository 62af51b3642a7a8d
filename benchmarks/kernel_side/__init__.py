"""Code the benchmarks run inside their kernels, kept as modules so ruff and mypy see it.

A harness loads these modules into a real ipykernel (started by
``tests/notebook_kernel.py`` or by JupyterLab) by running :func:`import_code`
there, outside any cell; it then calls them by their alias in the kernel's
namespace (``side.holdings()``) through its ``value()`` requests.

- ``records``: bench_bokeh's in-kernel clocks (ticks, execution start and end,
  destruction of server sessions, busy cells) and the plot both of its sides show;
- ``ours``: the jupyter-sessions side of both Bokeh benchmarks (it imports
  jupyter_sessions, so only that side's kernels load it);
- ``anchor``: the ``show(app)`` side of both Bokeh benchmarks (never imports
  jupyter_sessions);
- ``destroys``: bench_browser's wall-clock stamps of ``ServerSession.destroy``.

``ours`` and ``anchor`` answer the same calls (``install``, ``report_closing``,
``server_sessions``, ``connections``, ``live_server_sessions``, ``holdings``,
``watch``, ``stop_time``), so a harness asks either side the same way; each also
defines its app (``ours.Ticker``, ``anchor.ticking_app``).
"""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = str(Path(__file__).resolve().parent.parent)


def import_code(**aliases: str) -> str:
    """Kernel code importing ``kernel_side.<module>`` as each ``alias=module``.

    Runs in the kernel (as an execute request). ``benchmarks/`` is on the kernel's
    ``sys.path`` only while it imports, so the kernel finds nothing else there.
    """
    lines = ["import sys", f"sys.path.insert(0, {BENCHMARKS!r})", "try:"]
    lines += [f"    import kernel_side.{module} as {alias}" for alias, module in aliases.items()]
    lines += ["finally:", f"    sys.path.remove({BENCHMARKS!r})"]
    return "\n".join(lines) + "\n"
