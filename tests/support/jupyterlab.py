"""A real JupyterLab server and Debian's Chromium, for browser tests.

The same server also serves Notebook 7 (``/notebooks/<name>``) when the ``notebook``
package is installed (the ``test`` extra): its server extension is enabled in the
virtualenv's config, which the temporary config dir below does not hide.

JupyterLab runs from the test virtualenv with the package installed from the working
tree, in a temporary root with its own settings, workspaces and runtime dirs (so no
news pop-up, no stale workspace, and kernel connection files we can attach to).
``expose_app_in_browser`` gives ``window.jupyterapp``, whose commands drive the
notebook without flaky clicks (``notebook_page``). No build check either: a source
extension some other package put in the virtualenv (Dash's) would otherwise raise
JupyterLab's modal "Build Recommended" dialog over every page.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat

from .notebook_kernel import NotebookKernel
from .processes import free_port, terminate

NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


class JupyterLab:
    """A ``jupyter lab`` subprocess on a free loopback port; ``stop()`` ends it.

    ``extension=False`` disables this project's labextension (page_config), as in a
    frontend without it: outputs fall back to their HTML.

    ``gateway_url`` runs its kernels on that kernel gateway (``--GatewayClient.url``;
    see ``remote_kernel``), with timeouts generous for a loaded machine. Such kernels
    have no connection file here: ask them with ``remote_kernel.execute``.

    ``python`` is the interpreter whose JupyterLab runs (another virtualenv's, such as
    the oldest JupyterLab we claim in ``.venv-floor``); its kernels run in that
    virtualenv too (ipykernel's ``python3`` kernelspec is the server's interpreter).
    """

    def __init__(
        self,
        root: Path,
        extension: bool = True,
        timeout: float = 90.0,
        gateway_url: str | None = None,
        python: str | Path = sys.executable,
    ) -> None:
        self.root = root
        self.extension = extension
        self.gateway_url = gateway_url
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.runtime = root / ".runtime"
        settings = root / ".settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
        config = root / ".config"
        (config / "labconfig").mkdir(parents=True)
        disabled = {} if extension else {"jupyter-sessions": True}
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": disabled, "buildCheck": False})
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
            "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
        }
        gateway = (
            []
            if gateway_url is None
            else [
                f"--GatewayClient.url={gateway_url}",
                # A kernel start waits for request_timeout (the launch timeout follows it).
                "--GatewayClient.request_timeout=120",
                "--GatewayClient.connect_timeout=60",
            ]
        )
        self.log = (root / "jupyterlab.log").open("w")
        self.process = subprocess.Popen(
            [
                str(python),
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
                f"--ServerApp.root_dir={root}",
                *gateway,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(timeout)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def notebook_url(self, name: str) -> str:
        """The notebook alone in a workspace of its own (no restored tabs from others)."""
        workspace = name.replace(".", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def notebook7_url(self, name: str) -> str:
        """The notebook in Notebook 7, which the same server serves at ``/notebooks/``."""
        return f"{self.url}/notebooks/{name}?token={self.token}"

    def api(
        self, path: str, body: Any = None, method: str | None = None, timeout: float = 10.0
    ) -> Any:
        """GET ``/api/<path>`` (or ``method`` with ``body`` as JSON); its JSON, if any."""
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            data=None if body is None else json.dumps(body).encode(),
            method=method,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
            return json.loads(data) if data else None

    def write_notebook(self, name: str, sources: list[str]) -> None:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(notebook, self.root / name)

    def kernel_of(self, name: str, timeout: float = 60.0) -> NotebookKernel:
        """A second client on the kernel of notebook ``name``, to ask it for facts."""
        if self.gateway_url is not None:
            raise RuntimeError(
                "a gateway's kernel has no connection file here: use remote_kernel.execute"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for session in self.api("sessions"):
                if session["path"] == name:
                    path = self.runtime / f"kernel-{session['kernel']['id']}.json"
                    if path.exists():
                        return NotebookKernel.attach(path)
            time.sleep(0.2)
        raise TimeoutError(f"no kernel for {name}")

    def stop(self, timeout: float = 20.0) -> None:
        terminate(self.process, timeout)
        self.log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: see {self.root / 'jupyterlab.log'}")
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"jupyter lab did not start within {timeout} s")
