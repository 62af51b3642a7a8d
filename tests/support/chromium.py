"""Debian's Chromium (``/usr/bin/chromium``), driven by Playwright; never a downloaded browser.

The tests launch one Chromium for the whole run (the ``browser`` fixture), and each
test opens its pages in a browser context of its own: its own cookies, storage, cache
and routes, so no test sees another's pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# What the page memory soak reads: the JS heap after a forced collection
# (``window.gc()``), to the byte rather than in Chromium's coarse default buckets.
# Neither changes what a page does.
MEASURE_ARGS = ["--js-flags=--expose-gc", "--enable-precise-memory-info"]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="make test installs chromium"
)
