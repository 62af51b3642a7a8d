"""The ``settings-table`` directive: one table of every setting, made from where each is defined.

A page writes::

    ```{settings-table}
    ```

and gets a row per setting of every source in ``conf.py``'s ``settings_sources``, in
that order, read at each build: the table cannot say what the code no longer does.
A source is a dict with ``where`` (how a user reaches the settings, in words) and
one of:

- ``schema``: a JupyterLab settings schema (JSON), relative to the repository root;
- ``traitlets``: ``"module:Class"``, a traitlets ``Configurable`` whose ``config=True``
  traits are the settings (``help`` is the meaning);
- ``rows``: ``"module:function"``, which returns a dict per setting: ``setting``,
  ``default`` (as text), ``what``, and where they apply ``environment`` (the variable
  that overrides it) and ``allowed``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).parent.parent.parent
HEADER = ["setting", "where", "default", "allowed", "meaning"]

Row = list[str]


def rows(source: dict[str, str]) -> Iterator[Row]:
    """The rows of one source, in its own order."""
    if "schema" in source:
        yield from _schema_rows(ROOT / source["schema"], source["where"])
    elif "traitlets" in source:
        yield from _traitlets_rows(source["traitlets"], source["where"])
    elif "rows" in source:
        yield from _function_rows(source["rows"], source["where"])
    else:
        raise ValueError(f"a settings source needs 'schema', 'traitlets' or 'rows': {source!r}")


def _schema_rows(path: Path, where: str) -> Iterator[Row]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    for key, spec in schema["properties"].items():
        meaning = f"**{spec['title']}.** {spec.get('description', '')}".strip()
        yield [f"`{key}`", where, _code(spec.get("default")), _allowed(spec), meaning]


def _allowed(spec: dict[str, Any]) -> str:
    """The schema's type and bounds, in words."""
    types = spec.get("type", "")
    words = " or ".join(types) if isinstance(types, list) else str(types)
    bounds = [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ]
    words += "".join(f", {sign} {spec[name]}" for name, sign in bounds if name in spec)
    if "enum" in spec:
        words += ": " + ", ".join(_code(value) for value in spec["enum"])
    return words


def _function_rows(target: str, where: str) -> Iterator[Row]:
    for row in _load(target)():
        env = row.get("environment")
        place = f"{where}; environment `{env}`" if env else where
        yield [
            f"`{row['setting']}`",
            place,
            f"`{row['default']}`",
            row.get("allowed", ""),
            row["what"],
        ]


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _traitlets_rows(target: str, where: str) -> Iterator[Row]:
    name = target.partition(":")[2]
    cls = _load(target)
    for key, trait in cls.class_traits(config=True).items():
        default = trait.default()
        yield [
            f"`{name}.{key}`",
            where,
            _code(default),
            type(trait).__name__,
            " ".join((trait.help or "").split()),
        ]


def _code(value: Any) -> str:
    return f"`{json.dumps(value, default=repr)}`"


def markdown(sources: list[dict[str, str]]) -> list[str]:
    """The table, as MyST Markdown lines."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for source in sources:
        for row in rows(source):
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return lines


class SettingsTable(SphinxDirective):
    """Every setting of ``settings_sources``, a row each."""

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        source = self.get_source_info()[0]
        lines = StringList(markdown(self.config.settings_sources), source=source)
        self.state.nested_parse(lines, self.content_offset, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("settings_sources", [], "env")
    app.add_directive("settings-table", SettingsTable)
    return {"parallel_read_safe": True}
