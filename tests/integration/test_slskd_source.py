"""Soulseek through slskd as an audio source: searched with the title, then artist and
title, answers ranked by the real matcher and held to a quality profile, the transfer
followed to its end, the finished file tagged and filed. slskd is the emulator (real HTTP,
real FLAC and MP3 files made by ffmpeg); YouTube is the local stand-in of the pipeline test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import mutagen
import pytest

from services.downloader.adapters.pipeline import AlbumFolders, download_one
from services.downloader.adapters.slskd import SlskdSource
from services.downloader.adapters.sources import AudioSource, YtDlpSource
from services.downloader.domain.planning import plan
from services.downloader.domain.quality import profile_from
from services.downloader.domain.sources import Source, source_from_entry
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import PlannedDownload, Track
from services.matcher.domain.scoring import rank as matcher_rank
from tests.emulators.scripted import serving
from tests.emulators.slskd import API_KEY, Share, SharedFile, SlskdState, slskd_app
from tests.support.audio import make_audio
from tests.support.files import serving_folder

pytestmark = pytest.mark.timeout(120)
TRACK = Track(
    title="Teardrop",
    artists=("Massive Attack",),
    album="Mezzanine",
    album_artists=("Massive Attack",),
    track_number=3,
    duration_ms=5000,
)
FLAC_ELSE_MP3 = profile_from("FLAC, else MP3 320", ["flac", "mp3:320"])
WITH_LOSSY = profile_from("FLAC, else MP3 320, else any", ["flac", "mp3:320", "any"])
FLAC_ONLY = profile_from("FLAC only", ["flac", "mp3:320"], accept_lower=False)


async def rank(item: PlannedDownload, sources: Sequence[Source]) -> list[tuple[int, float]]:
    return [
        (i, score.confidence) for i, score in matcher_rank(item.track, [s.track for s in sources])
    ]


def planned(track: Track = TRACK) -> PlannedDownload:
    (item,) = plan((track,), (0,), "opus")
    return item


def flac(files: Path, name: str = "flac") -> SharedFile:
    local = make_audio(files / name / "03 - Teardrop.flac", seconds=5)
    path = "Music\\Massive Attack\\Mezzanine (1998)\\03 - Teardrop.flac"
    return SharedFile(path, local, sample_rate=44100, bit_depth=16, length=5)


def mp3(files: Path, bitrate: int, name: str = "mp3") -> SharedFile:
    local = make_audio(files / name / "Massive Attack - Teardrop.mp3", seconds=5)
    path = f"shared\\Massive Attack - Mezzanine\\03 Massive Attack - Teardrop ({bitrate}).mp3"
    return SharedFile(path, local, bitrate=bitrate, sample_rate=44100, length=5)


@pytest.fixture
async def slskd(tmp_path: Path) -> AsyncIterator[tuple[SlskdState, SlskdSource]]:
    state = SlskdState(downloads_dir=tmp_path / "slskd-downloads", search_s=0.6, transfer_s=0.6)
    async with serving(slskd_app(state)) as url:
        source = SlskdSource(
            url,
            API_KEY,
            str(state.downloads_dir),
            AddressPolicy.from_entries(["127.0.0.1"]),
            search_timeout_s=2,
        )
        yield state, source
        await source.close()


@pytest.fixture
def youtube(tmp_path: Path) -> YtDlpSource:
    """YouTube's studio upload of the track, from a local server (lossy, as YouTube's is)."""
    root = tmp_path / "www"
    make_audio(root / "studio.opus", seconds=5)
    with serving_folder(root) as url:
        entry = {
            "id": "t",
            "title": "Teardrop",
            "channel": "Massive Attack - Topic",
            "duration": 5,
            "url": f"{url}/studio.opus",
        }
        source = source_from_entry(entry)
        assert source is not None

        async def search(query: str) -> list[Source]:
            return [source]

        yield YtDlpSource(search)


async def test_flac_is_taken_where_a_share_has_it_over_mp3_and_youtube(
    slskd: tuple[SlskdState, SlskdSource], youtube: YtDlpSource, tmp_path: Path
) -> None:
    state, source = slskd
    files = tmp_path / "shares"
    # The MP3 answers at once; the FLAC peer only later in the search: still chosen.
    state.shares = [
        Share("fast-mp3", [mp3(files, 320)]),
        Share("slow-flac", [flac(files)], delay_s=0.3, queue_length=2),
    ]
    library = tmp_path / "Music"
    sources: list[AudioSource] = [source, youtube]
    outcome = await download_one(
        planned(), library, youtube.search, rank, 0.9, sources=sources, profile=FLAC_ELSE_MP3
    )
    assert outcome.status == "done", outcome
    assert outcome.path is not None and outcome.path.suffix == ".flac"
    # Filed as today: the layout's place, whatever the peer's folders were called.
    assert (
        outcome.path
        == library / "Massive Attack" / "Massive Attack - Mezzanine" / "03 Teardrop.flac"
    )
    tags = mutagen.File(outcome.path, easy=True)
    assert tags["title"] == ["Teardrop"] and tags["album"] == ["Mezzanine"]
    assert outcome.source_url and outcome.source_url.startswith("slsk://slow-flac/")
    assert state.queries[0] == "Teardrop"  # the title alone first
    assert not list(state.downloads_dir.rglob("*.flac"))  # moved out of slskd's folder


async def test_mp3_320_where_only_that_exists_and_a_lower_bitrate_is_a_quality_miss(
    slskd: tuple[SlskdState, SlskdSource], youtube: YtDlpSource, tmp_path: Path
) -> None:
    state, source = slskd
    files = tmp_path / "shares"
    state.shares = [Share("low", [mp3(files, 192, "low")]), Share("good", [mp3(files, 320)])]
    sources: list[AudioSource] = [source, youtube]
    outcome = await download_one(
        planned(),
        tmp_path / "Music",
        youtube.search,
        rank,
        0.9,
        sources=sources,
        profile=FLAC_ELSE_MP3,
    )
    assert outcome.status == "done" and outcome.path is not None, outcome
    assert outcome.path.suffix == ".mp3" and "slsk://good/" in (outcome.source_url or "")

    state.shares = [Share("low", [mp3(files, 192, "low")])]
    missed = await download_one(
        planned(),
        tmp_path / "Music2",
        youtube.search,
        rank,
        0.9,
        sources=sources,
        profile=FLAC_ELSE_MP3,
    )
    assert missed.status == "review" and missed.miss == "quality", missed
    # Which targets were not found, and what each source had instead.
    assert missed.reason is not None
    assert "FLAC, else MP3 320 kbps" in missed.reason and "MP3 192 kbps" in missed.reason


async def test_youtube_only_when_the_profile_allows_lossy(
    slskd: tuple[SlskdState, SlskdSource], youtube: YtDlpSource, tmp_path: Path
) -> None:
    state, source = slskd
    state.shares = []
    sources: list[AudioSource] = [source, youtube]
    outcome = await download_one(
        planned(),
        tmp_path / "Music",
        youtube.search,
        rank,
        0.9,
        sources=sources,
        profile=WITH_LOSSY,
    )
    assert outcome.status == "done" and outcome.source_url and "studio.opus" in outcome.source_url

    state.shares = [Share("good", [mp3(tmp_path / "shares", 320)])]
    strict = await download_one(
        planned(),
        tmp_path / "Strict",
        youtube.search,
        rank,
        0.9,
        sources=sources,
        profile=FLAC_ONLY,
    )
    assert strict.status == "review" and strict.miss == "quality", strict
    # Only the first target counts: the MP3 320 is named as what was there instead.
    assert strict.reason == (
        "nothing met the quality profile (FLAC): soulseek had only MP3 320 kbps"
    ), strict.reason


async def test_busy_slskd_is_waited_for_and_old_field_names_are_read(
    slskd: tuple[SlskdState, SlskdSource], tmp_path: Path
) -> None:
    state, source = slskd
    state.legacy_fields = True
    files = tmp_path / "shares"
    state.shares = [Share("peer", [flac(files)], free_slot=False)]
    sources: list[AudioSource] = [source]

    async def one(folder: str) -> str | None:
        outcome = await download_one(
            planned(),
            tmp_path / folder,
            source.search,
            rank,
            0.9,
            sources=sources,
            profile=FLAC_ELSE_MP3,
        )
        return outcome.path.suffix if outcome.path else outcome.reason

    # Two at once: slskd takes one search at a time and answers 429 to the other.
    assert await asyncio.gather(one("A"), one("B")) == [".flac", ".flac"]
    assert state.refused_busy > 0


async def test_a_peer_refusing_the_transfer_is_a_refused_miss(
    slskd: tuple[SlskdState, SlskdSource], tmp_path: Path
) -> None:
    state, source = slskd
    state.shares = [Share("grumpy", [flac(tmp_path / "shares")], fail="Rejected")]
    outcome = await download_one(
        planned(),
        tmp_path / "Music",
        source.search,
        rank,
        0.9,
        sources=[source],
        profile=FLAC_ELSE_MP3,
    )
    assert outcome.status == "failed" and outcome.miss == "refused", outcome
    assert outcome.reason == "the peer refused the download"
    assert not list((tmp_path / "Music").rglob("*.flac"))


async def test_a_wrong_key_or_a_blocked_address_is_said_not_crashed(tmp_path: Path) -> None:
    state = SlskdState(downloads_dir=tmp_path / "d")
    async with serving(slskd_app(state)) as url:
        wrong = SlskdSource(url, "wrong", str(tmp_path), AddressPolicy.from_entries(["127.0.0.1"]))
        blocked = SlskdSource(url, API_KEY, str(tmp_path), AddressPolicy.from_entries([]))
        for source, words in ((wrong, "refused the API key"), (blocked, "not allowed")):
            outcome = await download_one(
                planned(), tmp_path / "Music", source.search, rank, 0.9, sources=[source]
            )
            assert outcome.status == "failed" and outcome.miss == "refused", outcome
            assert outcome.reason and words in outcome.reason
            await source.close()


ANGEL = Track(
    title="Angel",
    artists=("Massive Attack",),
    album="Mezzanine",
    album_artists=("Massive Attack",),
    track_number=1,
    duration_ms=5000,
)


@pytest.mark.parametrize("album_mode", [False, True])
async def test_album_mode_takes_an_albums_tracks_from_one_folder_of_one_share(
    slskd: tuple[SlskdState, SlskdSource], tmp_path: Path, album_mode: bool
) -> None:
    state, source = slskd
    files = tmp_path / "shares"
    folder = "Music\\Massive Attack\\Mezzanine"

    def shared(name: str, title: str) -> SharedFile:
        local = make_audio(files / name / f"{title}.flac", seconds=5)
        return SharedFile(f"{folder}\\{title}.flac", local, sample_rate=44100, length=5)

    state.shares = [
        # A free, fast peer with Teardrop alone; a busy one with the whole album.
        Share("one-track", [shared("one", "03 - Teardrop")], free_slot=True),
        Share(
            "whole-album",
            [shared("all", "03 - Teardrop"), shared("all", "01 - Angel")],
            free_slot=False,
            queue_length=4,
        ),
    ]
    album = AlbumFolders() if album_mode else None
    peers = []
    for track, place in ((TRACK, "T"), (ANGEL, "A")):
        outcome = await download_one(
            planned(track),
            tmp_path / place,
            source.search,
            rank,
            0.9,
            sources=[source],
            profile=FLAC_ELSE_MP3,
            album=album,
        )
        assert outcome.status == "done" and outcome.source_url, outcome
        peers.append(outcome.source_url.split("/")[2])
    if album_mode:
        assert peers == ["whole-album", "whole-album"]  # one consistent folder
        assert "Massive Attack Mezzanine" in state.queries  # the album searched first
    else:
        assert peers == ["one-track", "whole-album"]  # each where it is best alone


@pytest.mark.parametrize("name", ["../../searches", "dj/shadow?x=1", ".."])
async def test_a_peer_named_like_a_path_is_downloaded_from_and_reaches_nothing_else(
    slskd: tuple[SlskdState, SlskdSource], tmp_path: Path, name: str
) -> None:
    """A Soulseek peer names itself: with ``/``, ``?`` or ``..`` in its name, the transfer
    is still asked of that peer (one path segment), never of another of slskd's endpoints
    with our API key (``../../searches`` started a search with the transfer's body)."""
    state, source = slskd
    state.shares = [Share(name, [flac(tmp_path / "shares")])]
    outcome = await download_one(
        planned(),
        tmp_path / "Music",
        source.search,
        rank,
        0.9,
        sources=[source],
        profile=FLAC_ELSE_MP3,
    )
    assert outcome.status == "done", outcome
    assert [t["username"] for t in state.transfers.values()] == [name]
    assert list((tmp_path / "Music").rglob("*.flac"))
