"""Tags to tracks, and a real folder scan with mutagen."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.connectors.adapters.folder import FolderError, scan_folder
from services.connectors.domain.scan import report_skips
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


def test_scan_reads_real_files_and_skips_hostile_ones_with_reasons(music_dir: Path) -> None:
    make_audio(music_dir / "b" / "one.mp3", title="One", artist="U2")
    make_audio(music_dir / "a" / "two.opus", title="Two", artist="Someone")
    (music_dir / "broken.flac").write_bytes(b"fLaC" + b"\x00" * 64)
    (music_dir / "empty.mp3").write_bytes(b"")
    (music_dir / "notes.ogg").write_text("this is a text file with an audio extension")
    (music_dir / "cover.jpg").write_bytes(b"\xff\xd8")
    tracks, index, stats = scan_folder(str(music_dir))
    assert [t.title for t in tracks] == ["Two", "One"]
    assert tracks[0].duration_ms and 1500 < tracks[0].duration_ms < 2500
    assert {s.path: s.reason for s in report_skips(index)} == {
        "broken.flac": "unreadable tags",
        "empty.mp3": "empty file",
        "notes.ogg": "not an audio file",
    }
    assert (stats.read, stats.unchanged, stats.skipped) == (5, 0, 3)


def test_second_scan_reads_only_what_changed(music_dir: Path) -> None:
    make_audio(music_dir / "keep.mp3", title="Keep", artist="A")
    make_audio(music_dir / "change.mp3", title="Before", artist="A")
    make_audio(music_dir / "gone.mp3", title="Gone", artist="A")
    _, index, _ = scan_folder(str(music_dir))
    (music_dir / "gone.mp3").unlink()
    make_audio(music_dir / "change.mp3", seconds=3, title="After", artist="A")
    make_audio(music_dir / "new.flac", title="New", artist="B")
    tracks, _, stats = scan_folder(str(music_dir), index)
    assert sorted(t.title for t in tracks) == ["After", "Keep", "New"]
    assert (stats.read, stats.unchanged, stats.removed) == (2, 1, 1)


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([".mp3", ".flac", ".ogg", ".m4a", ".opus"]))
def test_no_file_content_crashes_the_scan(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / f"x{suffix}").write_bytes(data)
        tracks, index, _ = scan_folder(folder)
        assert len(tracks) + len(report_skips(index)) == 1


def test_missing_or_relative_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FolderError, match="not found"):
        scan_folder(str(tmp_path / "missing"))
    with pytest.raises(FolderError, match="absolute"):
        scan_folder("music")
