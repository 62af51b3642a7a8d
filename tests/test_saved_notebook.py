"""A saved notebook shows what its live cells showed: the last picture of each view.

A real JupyterLab in Debian's Chromium, with the extension (which keeps the picture in
the notebook: on save, on close, when the kernel goes) and without it (the session
widget sends the kernel its view's picture, which the note keeps). The picture is
read back from the saved ``.ipynb`` file itself, decoded, and its pixels checked for
the plot's line; the file goes through ``jupyter nbconvert --to html``, and is opened
again where no kernel has its session.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.notebooks import Notebook, counts, notebook_name, open_plot
from .support.waits import wait_equal, wait_for

pytestmark = needs_chromium

# Bokeh's default line colour (#1f77b4), which the Ticker's plot draws its line in.
LINE = (31, 119, 180)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MIME_TYPE = "application/vnd.jupyter-sessions.session.v1+json"
# The README's bound for a notebook with 20 live plots saved, and a picture's.
TWENTY_PLOTS_BYTES = 1_000_000
PICTURE_BYTES = 300_000


# Whether the kernel holds a picture for each session widget it has.
WIDGET_PICTURES = (
    "[w.picture is not None for w in "
    "__import__('ipywidgets').widgets.widget._instances.values() "
    "if type(w).__name__ == 'SessionWidget']"
)


@pytest.fixture
def with_extension(lab: JupyterLab) -> None:
    if not lab.extension:
        pytest.skip("the extension's: a page without it holds no notebook model to keep it in")


@pytest.fixture
def without_extension(lab: JupyterLab) -> None:
    if lab.extension:
        pytest.skip("the session widget's path: where the extension runs, it keeps the picture")


def saved_output(path: Path, cell: int = 1) -> dict[str, Any]:
    """The data of cell ``cell``'s one output, as the saved file holds it (nbformat
    may split a text into a list of lines: joined here)."""
    outputs = json.loads(path.read_text())["cells"][cell]["outputs"]
    assert len(outputs) == 1, outputs
    return {
        mime: "".join(value) if isinstance(value, list) else value
        for mime, value in outputs[0]["data"].items()
    }


def picture(data: dict[str, Any]) -> Image.Image:
    """The output's kept picture. Static viewers show an output's HTML before its
    picture: there is none (the extension keeps the picture once), or it shows the
    same picture (the kernel's note, where the session widget sent the picture)."""
    assert "image/png" in data and WIDGET_MIME not in data, sorted(data)
    html = data.get("text/html")
    assert html is None or f"data:image/png;base64,{data['image/png']}" in html
    encoded = base64.b64decode(data["image/png"])
    assert len(encoded) <= PICTURE_BYTES
    return Image.open(io.BytesIO(encoded)).convert("RGB")


def shows_the_plot(image: Image.Image) -> bool:
    """The Ticker's plot: its blue line among the axes' many shades (not a blank frame)."""
    colors = image.getcolors(maxcolors=1 << 16) or []
    near_line = sum(
        n for n, rgb in colors if all(abs(a - b) < 40 for a, b in zip(rgb, LINE, strict=True))
    )
    return len(colors) > 20 and near_line > 50


@pytest.mark.usefixtures("with_extension")
def test_the_saved_file_keeps_the_last_picture_when_live_closed_and_the_kernel_gone(
    lab: JupyterLab, notebook: Notebook, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    page, kernel = notebook
    path = lab.root / notebook_name(request)
    open_plot(page, kernel)

    page.save()  # while the session is live
    live = saved_output(path)
    assert live[MIME_TYPE]["view"] is not None
    assert shows_the_plot(picture(live))
    saved_live = path.with_name(f"live-{path.name}")
    shutil.copy(path, saved_live)

    page.output(1).get_by_role("button", name="Close").click()
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    page.output(1).get_by_text("closed (TERMINATED); its last picture").wait_for(timeout=30000)
    assert page.output(1).locator("img.jp-jupyter-sessions-picture").count() == 1
    page.save()
    closed = saved_output(path)
    assert "closed (TERMINATED)" in closed["text/plain"]
    assert closed[MIME_TYPE]["view"] is None
    assert shows_the_plot(picture(closed))

    open_plot(page, kernel)  # re-run: the live view replaces the note and its picture
    assert page.output(1).locator("img.jp-jupyter-sessions-picture").count() == 0
    page.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    page.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=30000
    )
    page.save()
    gone = saved_output(path)
    assert shows_the_plot(picture(gone))

    html = convert_to_html(path, tmp_path)
    assert f"data:image/png;base64,{gone['image/png']}" in html

    # Opened again, with a new kernel that knows nothing of the session: the note (the
    # kernel closed its sessions as it shut down) and the picture.
    page.reload()
    page.output(1).get_by_text("closed (TERMINATED); its last picture").wait_for(timeout=30000)
    assert page.output(1).locator("img.jp-jupyter-sessions-picture").count() == 1

    # The copy saved while live, opened where its session is gone (as after a kernel
    # that died without a word): the picture, with words that say why it is not live.
    page.page.goto(lab.notebook_url(saved_live.name))
    page.wait_ready()
    page.output(1).get_by_text("The last picture of this view").wait_for(timeout=30000)
    assert page.output(1).locator("img.jp-jupyter-sessions-picture").count() == 1


def convert_to_html(path: Path, out: Path) -> str:
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(path), "--output-dir", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (out / path.with_suffix(".html").name).read_text()


@pytest.mark.usefixtures("with_extension")
@pytest.mark.session_cell(*["s = open_session(Ticker())"] * 20)
def test_a_notebook_of_twenty_live_plots_saves_under_the_readmes_bound(
    lab: JupyterLab, notebook: Notebook, request: pytest.FixtureRequest
) -> None:
    page, kernel = notebook
    for cell in range(1, 21):
        page.run_cell(cell)
        page.wait_for_plot(cell)
    wait_equal(lambda: counts(kernel), [20, 20], timeout=60)
    page.save()
    path = lab.root / notebook_name(request)
    sizes = [len(saved_output(path, cell)["image/png"]) for cell in range(1, 21)]
    print(
        f"\n20 live plots saved: {path.stat().st_size / 1000:.0f} KB; pictures "
        f"{min(sizes) / 1000:.1f} to {max(sizes) / 1000:.1f} KB of base64"
    )
    assert path.stat().st_size < TWENTY_PLOTS_BYTES
    assert all(shows_the_plot(picture(saved_output(path, cell))) for cell in range(1, 21))


@pytest.mark.usefixtures("without_extension")
def test_without_the_extension_the_note_keeps_the_picture_the_widget_sent(
    lab: JupyterLab, notebook: Notebook, request: pytest.FixtureRequest
) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    wait_for(lambda: kernel.value(WIDGET_PICTURES) == [True], timeout=30)
    page.set_cell_source(2, "s.close()")  # closed from the kernel's side, not by the page
    page.run_cell(2)
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    # JupyterLab shows the note's HTML: its words, and the picture under them.
    page.output(1).get_by_text("closed (TERMINATED)").wait_for(timeout=30000)
    page.output(1).locator("img").wait_for(timeout=30000)
    page.save()
    path = lab.root / notebook_name(request)
    closed = saved_output(path)
    assert "closed (TERMINATED)" in closed["text/plain"]
    assert shows_the_plot(picture(closed))


# The pictures setting as the Jupyter server stored it (None: never set).
PICTURES_SETTING = (
    "async () => (await window.jupyterapp.serviceManager.settings"
    ".fetch('jupyter-sessions:notebook')).settings?.pictures ?? null"
)


@pytest.mark.usefixtures("with_extension")
def test_pictures_turned_off_in_the_settings_editor_leave_the_saved_file_without_one(
    lab: JupyterLab, notebook: Notebook, request: pytest.FixtureRequest
) -> None:
    page, kernel = notebook
    path = lab.root / notebook_name(request)
    open_plot(page, kernel)
    page.command("settingeditor:open", {"query": "Sessions"})
    setting = page.page.get_by_label("Pictures in saved notebooks")
    setting.uncheck(timeout=30000)
    try:
        wait_for(lambda: page.page.evaluate(PICTURES_SETTING) is False, timeout=30)
        page.command("application:close")  # the Settings Editor: the notebook is current

        def saved_without_a_picture() -> bool:
            page.save()
            return "image/png" not in saved_output(path)

        # The page hears of the change after the server stored it (its registry fetches
        # it again): a save in between keeps a picture, which the next one drops.
        wait_for(saved_without_a_picture, timeout=30)
        assert saved_output(path)[MIME_TYPE]["view"] is not None  # saved live
    finally:
        page.command("settingeditor:open", {"query": "Sessions"})
        setting.check()  # the next tests' JupyterLab keeps its settings
        wait_for(lambda: page.page.evaluate(PICTURES_SETTING) is not False, timeout=30)
