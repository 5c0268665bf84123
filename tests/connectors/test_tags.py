"""Tags to tracks, and a real folder scan with mutagen."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from services.connectors.adapters.folder import FolderError, scan_folder
from services.connectors.domain.tags import track_from_tags
from tests.support.audio import make_audio


def test_tags_map_to_a_track() -> None:
    track = track_from_tags(
        {
            "title": ["Get Lucky"],
            "artist": ["Daft Punk", "Pharrell Williams"],
            "album": ["Random Access Memories"],
            "tracknumber": ["8/13"],
            "discnumber": ["1/1"],
            "isrc": ["usqx9-13-00001"],
            "date": ["2013-05-17"],
        },
        PurePosixPath("/m/x.flac"),
        248.4,
    )
    assert track.artists == ("Daft Punk", "Pharrell Williams")
    assert (track.track_number, track.disc_number) == (8, 1)
    assert track.isrc == "USQX91300001"
    assert track.duration_ms == 248_400


def test_single_artist_value_with_separators_is_split() -> None:
    track = track_from_tags({"title": ["x"], "artist": ["A; B / C"]}, PurePosixPath("/x.mp3"), None)
    assert track.artists == ("A", "B", "C")


def test_untagged_file_is_named_by_its_file_name() -> None:
    track = track_from_tags({}, PurePosixPath("/m/07 - Massive Attack - Teardrop.mp3"), None)
    assert (track.artists, track.title) == (("Massive Attack",), "Teardrop")


def test_scan_reads_real_files_and_counts_unreadable_ones(music_dir: Path) -> None:
    make_audio(music_dir / "b" / "one.mp3", title="One", artist="U2")
    make_audio(music_dir / "a" / "two.opus", title="Two", artist="Someone")
    (music_dir / "broken.flac").write_bytes(b"not audio at all")
    (music_dir / "cover.jpg").write_bytes(b"\xff\xd8")
    tracks, unreadable = scan_folder(str(music_dir))
    assert [t.title for t in tracks] == ["broken", "Two", "One"]  # folder first, then a/, b/
    assert unreadable == 1
    assert tracks[1].duration_ms and 1500 < tracks[1].duration_ms < 2500


def test_missing_or_relative_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FolderError, match="not found"):
        scan_folder(str(tmp_path / "missing"))
    with pytest.raises(FolderError, match="absolute"):
        scan_folder("music")
