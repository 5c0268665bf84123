"""The browser the web UI's tests drive: Debian's Chromium (Playwright downloads none here),
started as the machine's own check starts it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("TUNEBRIDGE_CHROMIUM", "/usr/bin/chromium")
#: No sandbox as root, and no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Why a browser test is skipped on a machine without it.
NO_CHROMIUM = f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package (.ci/run does)"


@contextmanager
def chromium() -> Iterator[Any]:
    """A running Chromium (the test is skipped, saying why, where there is none)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
