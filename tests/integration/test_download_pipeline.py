"""A planned track is searched, ranked by the real matcher, fetched with yt-dlp from a
local server standing in for YouTube, checked, tagged and filed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import mutagen
import pytest

from services.downloader.adapters.pipeline import download_one
from services.downloader.domain.planning import plan
from services.downloader.domain.sources import Source, source_from_entry
from services.kernel.contracts import PlannedDownload, Track
from services.matcher.domain.scoring import rank as matcher_rank
from tests.support.audio import make_audio
from tests.support.files import serving_folder

pytestmark = pytest.mark.timeout(120)
COVER = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"
TRACK = Track(
    title="Teardrop",
    artists=("Massive Attack",),
    album="Mezzanine",
    album_artists=("Massive Attack",),
    track_number=3,
    duration_ms=5000,
)


@pytest.fixture
def youtube(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local stand-in for YouTube's media servers."""
    root = tmp_path / "www"
    with serving_folder(root) as url:
        yield url, root


def search_results(url: str) -> list[dict[str, object]]:
    """What yt-dlp's search gives, in its entry shape, pointing at the local server."""
    return [
        {
            "id": "live",
            "title": "Massive Attack - Teardrop (Live at Glastonbury)",
            "channel": "Fan uploads",
            "duration": 7,
            "url": f"{url}/live.opus",
            "view_count": 10,
        },
        {
            "id": "topic",
            "title": "Teardrop",
            "channel": "Massive Attack - Topic",
            "duration": 5,
            "url": f"{url}/studio.opus",
            "view_count": 1000,
        },
    ]


async def rank(item: PlannedDownload, sources: Sequence[Source]) -> list[tuple[int, float]]:
    return [
        (i, score.confidence) for i, score in matcher_rank(item.track, [s.track for s in sources])
    ]


def planned() -> PlannedDownload:
    (item,) = plan((TRACK,), (0,), "opus")
    return item


async def test_the_studio_audio_is_fetched_tagged_and_filed_with_its_cover(
    youtube: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = youtube
    make_audio(root / "studio.opus", seconds=5)
    make_audio(root / "live.opus", seconds=7)
    sources = [s for s in map(source_from_entry, search_results(url)) if s]

    async def search(query: str) -> list[Source]:
        assert query == "Massive Attack - Teardrop"
        return sources

    async def cover() -> bytes:
        return COVER

    library = tmp_path / "Music"
    outcome = await download_one(planned(), library, search, rank, 0.9, cover=cover)
    assert outcome.status == "done", outcome
    assert outcome.source_url == f"{url}/studio.opus"
    expected = library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.opus"
    assert outcome.path == expected
    audio = mutagen.File(expected)
    assert audio["title"] == ["Teardrop"] and audio["artist"] == ["Massive Attack"]
    assert audio["album"] == ["Mezzanine"] and audio["tracknumber"] == ["3"]
    assert (expected.parent / "cover.jpg").read_bytes() == COVER
    again = await download_one(planned(), library, search, rank, 0.9, cover=cover)
    assert again.status == "already_there" and again.path == expected


async def test_when_no_source_is_surely_the_track_it_goes_to_review(
    youtube: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = youtube
    live_only = [s for s in map(source_from_entry, search_results(url)[:1]) if s]

    async def search(query: str) -> list[Source]:
        return live_only

    outcome = await download_one(planned(), tmp_path / "Music", search, rank, 0.9)
    assert outcome.status == "review" and outcome.candidates
    assert not (tmp_path / "Music").exists()


async def test_a_download_of_the_wrong_length_is_not_filed(
    youtube: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = youtube
    make_audio(root / "studio.opus", seconds=30)  # says 5 s, is 30 s
    sources = [s for s in map(source_from_entry, search_results(url)) if s]

    async def search(query: str) -> list[Source]:
        return sources

    outcome = await download_one(planned(), tmp_path / "Music", search, rank, 0.9)
    assert outcome.status == "review" and "length" in (outcome.reason or "")
    assert [p for p in (tmp_path / "Music").rglob("*") if p.is_file()] == []  # staging cleaned


def test_topic_channels_are_official_audio_and_videos_are_not() -> None:
    video, topic = (source_from_entry(e) for e in search_results("http://x"))
    assert topic is not None and video is not None
    assert (topic.track.kind, topic.track.artists) == ("song", ("Massive Attack - Topic",))
    assert video.track.kind == "video" and video.track.duration_ms == 7000
    assert source_from_entry({"title": "no url"}) is None


async def test_a_different_track_on_the_same_path_gets_a_numbered_name(
    youtube: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = youtube
    make_audio(root / "studio.opus", seconds=5)
    sources = [s for s in map(source_from_entry, search_results(url)) if s]

    async def search(query: str) -> list[Source]:
        return sources

    library = tmp_path / "Music"
    folder = library / "Massive Attack" / "Massive Attack - Mezzanine"
    make_audio(folder / "03 Teardrop.opus", seconds=2, title="Teardrop", artist="Someone Else")
    outcome = await download_one(planned(), library, search, rank, 0.9)
    assert outcome.status == "done"
    assert outcome.path == folder / "03 Teardrop (2).opus"
    assert mutagen.File(folder / "03 Teardrop.opus")["artist"] == ["Someone Else"]  # untouched
    again = await download_one(planned(), library, search, rank, 0.9)
    assert again.status == "already_there" and again.path == folder / "03 Teardrop (2).opus"
