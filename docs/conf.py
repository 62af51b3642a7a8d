"""Sphinx configuration for the jupyter-sessions docs: `make docs` builds them, warnings as errors.

The pages are MyST Markdown; parts of README.md and CONTRIBUTING.md are included
between their `<!-- name: start -->` / `<!-- name: end -->` markers, so that text
has one home. The API reference is autodoc on the package's `__all__`.
"""

from __future__ import annotations

import sys
from importlib.metadata import version as _version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "jupyter-sessions"
author = "The jupyter-sessions contributors"
copyright = "The jupyter-sessions contributors"
release = _version("jupyter-sessions")
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "settings_table"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]

# Links to headings in other pages ("page.md#a-heading"), as GitHub renders them.
myst_heading_anchors = 3
# Markdown tables and ``` fences as in the README; no further syntax.
myst_enable_extensions: list[str] = []

autodoc_member_order = "bysource"

# Where the settings are defined; the {settings-table} directive (_ext/settings_table.py)
# makes one table of them all, in this order. Paths are from the repository's root.
settings_sources = [
    {
        "where": "JupyterLab: Settings Editor, Sessions",
        "schema": "labextension/schema/notebook.json",
    },
    {
        "where": "kernel: `c.JupyterSessions` in a config file, or `%config` in a cell",
        "rows": "jupyter_sessions.core.settings:table",
    },
]

# The default theme, with nothing fetched from elsewhere when a page is read.
html_theme = "alabaster"
html_title = "jupyter-sessions"
html_static_path = ["_static"]
# The screenshots fit the page's width (pictures.css).
html_css_files = ["pictures.css"]


def _drop_type_docstrings(app, what, name, obj, options, lines):  # type: ignore[no-untyped-def]
    """A constant (``MIME_TYPE``) has its type's docstring (str's): say nothing instead."""
    if what == "data" and getattr(obj, "__doc__", None) == type(obj).__doc__:
        lines.clear()


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-process-docstring", _drop_type_docstrings)
