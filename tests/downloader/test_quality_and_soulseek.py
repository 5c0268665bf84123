"""Quality profiles and reading slskd's answers: pure rules, checked on the cases people hit."""

from __future__ import annotations

import pytest

from services.downloader.domain.quality import AudioQuality, parse_target, profile_from
from services.downloader.domain.soulseek import (
    queries,
    sources_from_responses,
    track_from_path,
    transfer_state,
)
from services.kernel.contracts import Track


def test_flac_else_mp3_320_ranks_files_by_the_first_target_they_meet() -> None:
    profile = profile_from("p", ["flac", "mp3:320"])
    assert profile.rank_of(AudioQuality("flac", 900, 44100, 16)) == 0
    assert profile.rank_of(AudioQuality("mp3", 320)) == 1
    assert profile.rank_of(AudioQuality("mp3", 256)) is None
    assert profile.rank_of(AudioQuality("mp3")) is None  # a bitrate asked for and not given
    assert profile.describe() == "FLAC, else MP3 320 kbps"
    hires = profile_from("h", ["flac:0:96000:24"])
    assert hires.rank_of(AudioQuality("flac", None, 44100, 16)) is None
    assert hires.rank_of(AudioQuality("flac", None, 96000, 24)) == 0


def test_a_wait_holds_to_the_first_target_and_a_lossy_copy_is_mp3_or_opus() -> None:
    waits = profile_from("w", ["flac", "mp3:320"], lower_after_s=600)
    assert waits.waits and waits.top_only().usable == waits.targets[:1]
    assert not profile_from("w", ["flac"], lower_after_s=600).waits  # nothing lower to take
    assert not profile_from("w", ["flac", "mp3"], False, lower_after_s=600).waits
    copied = profile_from("c", ["flac"], lossy_copy="opus").lossy_copy
    assert copied is not None and (copied.format, copied.min_bitrate_kbps) == ("opus", 160)
    for bad in ("flac", "mp3:0:44100", "aac:256"):
        with pytest.raises(ValueError, match="a lossy copy is mp3 or opus"):
            profile_from("c", ["flac"], lossy_copy=bad)
    for past in ("mp3:999", "mp3:16", "opus:600"):  # no encoder makes these
        with pytest.raises(ValueError, match="kbps"):
            profile_from("c", ["flac"], lossy_copy=past)
    with pytest.raises(ValueError, match="0 or more"):
        profile_from("w", ["flac"], lower_after_s=-1)


@pytest.mark.parametrize("text", ["", "mp3:fast", "flac:1:2:3:4"])
def test_a_badly_written_target_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(ValueError, match="quality target"):
        parse_target(text)


def test_the_title_alone_is_searched_first_then_artist_and_title() -> None:
    assert queries(Track(title="Teardrop", artists=("Massive Attack",))) == (
        "Teardrop",
        "Massive Attack Teardrop",
    )


def test_a_shared_path_says_artist_album_number_and_title() -> None:
    track = track_from_path("@@x\\Music\\Massive Attack\\Mezzanine (1998)\\03 - Teardrop.flac", 330)
    assert (track.title, track.artists, track.album, track.track_number, track.duration_ms) == (
        "Teardrop",
        ("Massive Attack",),
        "Mezzanine",
        3,
        330_000,
    )
    other = track_from_path(
        "mp3/Massive Attack - Mezzanine/07 Massive Attack - Man Next Door.mp3", None
    )
    assert (other.title, other.artists, other.album) == (
        "Man Next Door",
        ("Massive Attack",),
        "Mezzanine",
    )


def test_old_and_new_field_names_read_the_same() -> None:
    new = {
        "username": "u",
        "hasFreeUploadSlot": True,
        "queueLength": 3,
        "uploadSpeed": 9,
        "files": [
            {
                "filename": "a\\b\\01 - T.flac",
                "size": 5,
                "extension": "flac",
                "bitRate": None,
                "sampleRate": 44100,
                "bitDepth": 16,
            }
        ],
    }
    old = {
        "username": "u",
        "freeUploadSlots": 1,
        "queueDepth": 3,
        "uploadSpeed": 9,
        "files": [
            {
                "filename": "a\\b\\01 - T.flac",
                "size": 5,
                "extension": "",
                "bitrate": None,
                "sampleRate": 44100,
                "bitDepth": 16,
            }
        ],
    }
    assert sources_from_responses([new]) == sources_from_responses([old])
    (source,) = sources_from_responses([new])
    assert source.peer and source.peer.free_slot and source.peer.queue_length == 3
    assert (
        sources_from_responses([{"username": "u", "files": [{"filename": "x\\cover.jpg"}]}]) == []
    )


@pytest.mark.parametrize(
    ("state", "meaning"),
    [
        ("Queued, Remotely", "waiting"),
        ("InProgress", "waiting"),
        ("Completed, Succeeded", "done"),
        ("Completed, Rejected", "refused"),
        ("Completed, TimedOut", "failed"),
        ("Completed, Errored", "failed"),
    ],
)
def test_transfer_states(state: str, meaning: str) -> None:
    assert transfer_state(state) == meaning
