"""Remake the pictures of the README and the docs, and the demo notebooks' outputs.

Run from the repository root (``make pictures`` does, after ``make setup``)::

    .venv/bin/python docs/pictures/make.py                 # both
    .venv/bin/python docs/pictures/make.py screenshots     # docs/pictures/*.png only
    .venv/bin/python docs/pictures/make.py notebooks [demo.ipynb ...]

One real JupyterLab with this project's extension (``tests/support/jupyterlab.py``),
in a temporary root, and Debian's Chromium under Playwright (never a downloaded
browser), as the browser tests run them:

- ``screenshots`` (``scenes.py``): a notebook with the README's first example, then
  PNGs of what a newcomer should see first: a live cell, the same cell re-run, its
  output cleared, and the Sessions side panel listing what a few cells hold.
- ``notebooks`` (``demos.py``): each ``notebooks/*.ipynb`` run whole in that
  JupyterLab (Run All), saved there once its live views painted (the extension keeps
  a picture of each in the file on save), and copied back with its outputs.

Everything is found by ids, roles and JupyterLab's commands, not by positions on the
screen, so a changed layout still gives the same pictures.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.jupyterlab import JupyterLab  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser

log = logging.getLogger("pictures")

# Every cell rendered, also those scrolled out of view: a live view that was never
# rendered has no picture to keep, and its cell no size to crop.
NOTEBOOK_SETTINGS = {"windowingMode": "none"}


@contextmanager
def lab_and_browser() -> Iterator[tuple[JupyterLab, Browser]]:
    """A JupyterLab with the extension in a temporary root, and Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="jupyter-sessions-pictures-") as folder:
        lab = JupyterLab(Path(folder))
        tracker = lab.root / ".settings" / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps(NOTEBOOK_SETTINGS))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    yield lab, browser
                finally:
                    browser.close()
        finally:
            lab.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=["screenshots", "notebooks"])
    parser.add_argument("notebooks", nargs="*", help="names in notebooks/ (default: all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    import demos
    import scenes

    started = time.monotonic()
    with lab_and_browser() as (lab, browser):
        if args.what in (None, "screenshots"):
            scenes.make(lab, browser, Path(__file__).parent)
        if args.what in (None, "notebooks"):
            names = args.notebooks or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
            demos.make(lab, browser, ROOT / "notebooks", names)
    log.info("done in %.0f s", time.monotonic() - started)


if __name__ == "__main__":
    main()
