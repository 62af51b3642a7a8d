"""Packaging: the wheel carries the built extension, imports are lazy, any pip installs it."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PREFIX = "jupyter_sessions-{}.data/data/share/jupyter/labextensions/jupyter-sessions/"


def test_the_wheel_carries_a_prebuilt_extension(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        timeout=900,
    )
    wheel = next(tmp_path.glob("jupyter_sessions-*.whl"))
    version = wheel.name.split("-")[1]
    prefix = PREFIX.format(version)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = json.loads(archive.read(prefix + "package.json"))
        install = json.loads(archive.read(prefix + "install.json"))
        schema = json.loads(archive.read(prefix + "schemas/jupyter-sessions/notebook.json"))
    load = meta["jupyterlab"]["_build"]["load"]
    assert prefix + load in names  # the federated entry point JupyterLab loads
    # The settings schema, which JupyterLab's Settings Editor shows.
    assert schema["properties"]["pictures"]["default"] is True
    assert meta["name"] == "jupyter-sessions" and meta["version"] == version
    assert install["packageName"] == "jupyter-sessions"
    # The core and every kind's subpackage, and the worker script PyMOL runs by path.
    for module in (
        "core/runtime.py",
        "bokeh/session.py",
        "pymol/worker.py",
        "interpreters/pool.py",
        "tasks/job.py",
        "py.typed",
    ):
        assert f"jupyter_sessions/{module}" in names, module
    assert not any(n.startswith(("tests/", "node_modules/")) for n in names)
    # BSD-3-Clause: the notice travels with every redistribution.
    license_text = (ROOT / "LICENSE").read_bytes()
    with zipfile.ZipFile(wheel) as archive:
        assert (
            archive.read(f"jupyter_sessions-{version}.dist-info/licenses/LICENSE") == license_text
        )


HEAVY = ("bokeh", "pymol", "pymol2", "jupyter_client", "distributed", "tornado", "zmq")


def loaded_after(code: str) -> list[str]:
    """Which of the heavy packages a fresh interpreter has loaded after ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(result.stdout))


def test_importing_the_package_loads_no_kind() -> None:
    assert loaded_after("import jupyter_sessions") == []


def test_a_kind_loads_on_first_use_of_its_name_and_only_it() -> None:
    assert loaded_after("from jupyter_sessions import Task, Job") == []
    assert "jupyter_client" not in loaded_after("from jupyter_sessions import PyMOLSession")
    assert "bokeh" in loaded_after("from jupyter_sessions import BokehSession")


def test_every_dependency_resolves_with_the_pip_python_ships(tmp_path: Path) -> None:
    """pip 23.2 (Python 3.11's) takes a pre-release only when the specifier names one."""
    tomllib = pytest.importorskip("tomllib")
    with (ROOT / "pyproject.toml").open("rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    venv.create(tmp_path / "venv", with_pip=True)  # the pip that ensurepip bundles
    pip = tmp_path / "venv" / "bin" / "pip"
    result = subprocess.run(
        [
            str(pip),
            "install",
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--disable-pip-version-check",
            *dependencies,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pymol-open-source" in result.stdout
