"""A user's downloads land only inside the library roots: through ``tunebridge up``, a
downloader whose folders an administrator put outside every root refuses to download,
saying why, and writes nothing there."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from services.downloader.api.downloads import OUTSIDE_ROOTS
from tests.e2e.conftest import Started, ready_line
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_downloads_outside_the_roots_are_refused(
    start_up: Callable[[dict[str, str]], Started], tmp_path: Path, youtube: str
) -> None:
    roots, outside = tmp_path / "roots", tmp_path / "outside"
    roots.mkdir()
    process, url, log = start_up(
        {
            "TUNEBRIDGE_LIBRARY__ROOTS": str(roots),
            "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(outside / "Music"),
            "TUNEBRIDGE_DOWNLOADER__DOWNLOADS_DIR": str(outside / "Downloads"),
            "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
        }
    )
    assert "ready" in ready_line(process, log), log.read_text()[-3000:]
    assert "downloads into it are refused" in log.read_text()  # said at start, too
    with httpx.Client(base_url=url, timeout=10) as api:
        sign_in_sync(api)
        queued = api.post("/api/v1/downloads", json={"track": {"title": "Teardrop"}})
        assert queued.status_code == 202, queued.text
        download = f"/api/v1/downloads/{queued.json()['download_id']}"
        deadline = time.monotonic() + 60
        view = api.get(download).json()
        while view["status"] not in ("done", "failed", "review") and time.monotonic() < deadline:
            time.sleep(0.25)
            view = api.get(download).json()
    assert (view["status"], view["reason"]) == ("failed", OUTSIDE_ROOTS), view
    assert not any(p.is_file() for p in outside.rglob("*"))
