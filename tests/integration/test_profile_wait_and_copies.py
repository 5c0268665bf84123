"""A quality profile's wait and its lossy copy, on the slskd emulator with real files:
"FLAC, else MP3 320 after a wait" looks only for FLAC until the wait is over (a FLAC that
turns up meanwhile is taken; an MP3 320 is taken only after), and a lossless download also
leaves a tagged MP3 or Opus copy, made by ffmpeg, under the same path in the copies
folder."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import mutagen
import pytest

from services.downloader.adapters.fetcher import Cancelled
from services.downloader.adapters.pipeline import download_one
from services.downloader.adapters.slskd import SlskdSource
from services.downloader.domain.quality import profile_from
from tests.emulators.slskd import Share, SlskdState
from tests.integration import test_slskd_source
from tests.integration.test_slskd_source import flac, mp3, planned, rank

pytestmark = pytest.mark.timeout(120)
#: The emulator and its source, as the Soulseek tests have them.
slskd_fixture = test_slskd_source.slskd
WAITS = profile_from("FLAC, else MP3 320 after a wait", ["flac", "mp3:320"], lower_after_s=3)


async def _nothing(query: str) -> list[object]:
    return []


async def test_only_the_first_target_is_looked_for_until_the_wait_is_over(
    slskd_fixture: tuple[SlskdState, SlskdSource], tmp_path: Path
) -> None:
    state, source = slskd_fixture
    files = tmp_path / "shares"
    state.shares = [Share("mp3-peer", [mp3(files, 320)])]

    async def flac_turns_up() -> None:
        await asyncio.sleep(1.0)
        state.shares.append(Share("flac-peer", [flac(files)]))

    later = asyncio.create_task(flac_turns_up())
    outcome = await download_one(
        planned(),
        tmp_path / "A",
        _nothing,
        rank,
        0.9,
        sources=[source],
        profile=WAITS,
        research_s=0.3,
    )
    await later
    # The MP3 320 was there from the start; the FLAC that came during the wait won.
    assert outcome.status == "done" and outcome.path is not None, outcome
    assert outcome.path.suffix == ".flac" and "slsk://flac-peer/" in (outcome.source_url or "")

    # No FLAC ever: searched again during the wait, the MP3 320 taken once it is over.
    state.shares = [Share("mp3-peer", [mp3(files, 320)])]
    state.queries.clear()
    asked = time.time()
    waited = await download_one(
        planned(),
        tmp_path / "B",
        _nothing,
        rank,
        0.9,
        sources=[source],
        profile=WAITS,
        since=asked,
        research_s=0.5,
    )
    assert waited.status == "done" and waited.path is not None, waited
    assert waited.path.suffix == ".mp3" and time.time() - asked >= 3
    assert state.queries.count("Teardrop") >= 3  # looked for FLAC again and again

    # A download asked for long ago has waited already: the MP3 320 at once.
    state.queries.clear()
    at_once = await download_one(
        planned(),
        tmp_path / "C",
        _nothing,
        rank,
        0.9,
        sources=[source],
        profile=WAITS,
        since=time.time() - 60,
    )
    assert at_once.path is not None and at_once.path.suffix == ".mp3"
    assert state.queries == ["Teardrop"]


async def test_a_cancel_during_the_wait_stops_it(
    slskd_fixture: tuple[SlskdState, SlskdSource], tmp_path: Path
) -> None:
    state, source = slskd_fixture
    state.shares = [Share("mp3-peer", [mp3(tmp_path / "shares", 320)])]
    cancel = threading.Event()
    asyncio.get_running_loop().call_later(0.8, cancel.set)
    slow = profile_from("wait long", ["flac", "mp3:320"], lower_after_s=600)
    with pytest.raises(Cancelled):
        await download_one(
            planned(),
            tmp_path / "A",
            _nothing,
            rank,
            0.9,
            sources=[source],
            profile=slow,
            cancel=cancel,
            research_s=0.2,
        )
    assert not list((tmp_path / "A").rglob("*.mp3"))


@pytest.mark.parametrize(
    ("written", "suffix", "kbps"), [("mp3:192", ".mp3", 192), ("opus", ".opus", 160)]
)
async def test_a_lossless_download_leaves_a_tagged_lossy_copy(
    slskd_fixture: tuple[SlskdState, SlskdSource],
    tmp_path: Path,
    written: str,
    suffix: str,
    kbps: int,
) -> None:
    state, source = slskd_fixture
    files = tmp_path / "shares"
    state.shares = [Share("flac-peer", [flac(files)]), Share("mp3-peer", [mp3(files, 320)])]
    library, copies = tmp_path / "Music", tmp_path / "Lossy"
    profile = profile_from("FLAC with a copy", ["flac", "mp3:320"], lossy_copy=written)
    outcome = await download_one(
        planned(),
        library,
        _nothing,
        rank,
        0.9,
        sources=[source],
        profile=profile,
        copies_into=copies,
    )
    assert outcome.path is not None and outcome.path.suffix == ".flac", outcome
    copy = outcome.copy
    assert copy is not None and copy.suffix == suffix
    assert copy.relative_to(copies).with_suffix("") == outcome.path.relative_to(
        library
    ).with_suffix("")
    audio = mutagen.File(copy)
    assert abs(audio.info.length - 5) < 0.3  # the whole track
    if suffix == ".mp3":
        assert abs(audio.info.bitrate / 1000 - kbps) < 40
    tags = mutagen.File(copy, easy=True)
    assert (tags["title"], tags["artist"], tags["album"]) == (
        ["Teardrop"],
        ["Massive Attack"],
        ["Mezzanine"],
    )
    assert not [p for p in copies.rglob("*") if p.name.startswith(".")]  # no half copy

    # An MP3 download is lossy already: no copy of it.
    state.shares = [Share("mp3-peer", [mp3(files, 320, "again")])]
    lossy = await download_one(
        planned(),
        tmp_path / "Music2",
        _nothing,
        rank,
        0.9,
        sources=[source],
        profile=profile,
        copies_into=tmp_path / "Lossy2",
    )
    assert lossy.path is not None and lossy.path.suffix == ".mp3" and lossy.copy is None
    assert not (tmp_path / "Lossy2").exists()
