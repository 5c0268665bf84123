"""Fetching audio with the real yt-dlp from a local HTTP server, converting with ffmpeg."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import mutagen
import pytest

from services.downloader.adapters.fetcher import Cancelled, FetchError, Progress, fetch
from services.downloader.domain.fetching import duration_ok, explain_error
from tests.support.audio import make_audio
from tests.support.files import TricklingHandler, serving_folder

pytestmark = pytest.mark.timeout(120)


class SlowPathHandler(TricklingHandler):
    """Serves each file twice over: slowly under /slow/ (to have time to cancel)."""

    def translate_path(self, path: str) -> str:
        return super().translate_path(path.replace("/slow/", "/", 1))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    with serving_folder(root, SlowPathHandler) as url:
        yield url, root


def test_best_audio_is_kept_as_it_is_with_progress(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    make_audio(root / "song.opus", seconds=4)
    seen: list[Progress] = []
    fetched = fetch(f"{url}/song.opus", tmp_path / "out", "01 Song", on_progress=seen.append)
    assert fetched.path == tmp_path / "out" / "01 Song.opus"
    assert mutagen.File(fetched.path).info.length == pytest.approx(4, abs=0.5)
    assert seen and seen[-1].downloaded_bytes > 0
    assert fetched.lossy_source


def test_conversion_on_request(served: tuple[str, Path], tmp_path: Path) -> None:
    url, root = served
    make_audio(root / "song.m4a", seconds=3)
    fetched = fetch(f"{url}/song.m4a", tmp_path / "out", "Song", audio_format="mp3")
    assert fetched.path.suffix == ".mp3" and mutagen.File(fetched.path) is not None
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["Song.mp3"]


def test_a_cancelled_download_leaves_nothing_behind(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    make_audio(root / "long.flac", seconds=60)
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        fetch(
            f"{url}/slow/long.flac",
            tmp_path / "out",
            "Long",
            on_progress=lambda progress: cancel.set(),
            cancel=cancel,
        )
    assert list((tmp_path / "out").iterdir()) == []


def test_a_missing_source_is_explained(served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    with pytest.raises(FetchError, match="404"):
        fetch(f"{url}/nothing.opus", tmp_path / "out", "Nothing")


def test_duration_checks_and_error_words() -> None:
    assert duration_ok(200_000, 203.5) and not duration_ok(200_000, 263.0)
    assert duration_ok(None, 10.0)
    assert "JavaScript runtime" in explain_error("ERROR: n challenge solving failed")
    assert "cookies" in explain_error("Sign in to confirm you're not a bot")
