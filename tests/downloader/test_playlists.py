"""An M3U8 per playlist that players (and our own importer) read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.connectors.domain.playlists import parse_m3u
from services.downloader.adapters.filing import write_playlist
from services.downloader.domain.playlists import (
    PlaylistEntry,
    library_relative,
    playlist_path,
    render_m3u8,
)
from services.kernel.library import OutsideLibrary


def test_m3u8_lists_the_filed_tracks_relative_to_the_library(tmp_path: Path) -> None:
    entries = [
        PlaylistEntry(
            "Massive Attack/Massive Attack - Mezzanine/03 Teardrop.opus",
            "Teardrop",
            "Massive Attack",
            330_000,
        ),
        PlaylistEntry("Adele/Adele - Hello/Hello.m4a", "Hello\nhostile", "Adele"),
    ]
    where = playlist_path("Road trip / 2026", "alice")
    path = write_playlist(tmp_path, where, render_m3u8(entries))
    assert path == tmp_path / "Playlists" / "alice" / "Road trip _ 2026.m3u8"
    text = path.read_text()
    assert text.splitlines()[:3] == [
        "#EXTM3U",
        "#EXTINF:330,Massive Attack - Teardrop",
        "../../Massive Attack/Massive Attack - Mezzanine/03 Teardrop.opus",
    ]
    tracks, skipped = parse_m3u(text)
    assert skipped == 0 and [t.title for t in tracks] == ["Teardrop", "Hello hostile"]
    assert (path.parent / tracks[0].provider_id).resolve() == (tmp_path / entries[0].path).resolve()
    assert [p.name for p in path.parent.iterdir()] == ["Road trip _ 2026.m3u8"]


def test_two_users_playlists_of_one_name_are_two_files(tmp_path: Path) -> None:
    alice = write_playlist(tmp_path, playlist_path("Party", "alice"), "#EXTM3U\nalice\n")
    bob = write_playlist(tmp_path, playlist_path("Party", "bob"), "#EXTM3U\nbob\n")
    assert alice != bob
    assert alice.read_text().endswith("alice\n") and bob.read_text().endswith("bob\n")
    # A name that tries to climb out stays one folder name.
    assert playlist_path("Party", "..") == "Playlists/Unknown/Party.m3u8"


def test_a_playlist_is_never_written_outside_the_library(tmp_path: Path) -> None:
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    library.mkdir()
    elsewhere.mkdir()
    (library / "Playlists").symlink_to(elsewhere)  # a link out of the library
    for relative in ("../escaped.m3u8", "/tmp/escaped.m3u8", "Playlists/alice/Party.m3u8"):
        with pytest.raises(OutsideLibrary):
            write_playlist(library, relative, "#EXTM3U\n")
    assert list(elsewhere.rglob("*")) == [] and not (tmp_path / "escaped.m3u8").exists()


def test_a_media_servers_track_path_counts_only_if_it_stays_in_the_library() -> None:
    assert (
        library_relative("Aurora Lane/Typhoons/01 River.mp3") == "Aurora Lane/Typhoons/01 River.mp3"
    )
    assert library_relative("./Aurora Lane\\01 River.flac") == "Aurora Lane/01 River.flac"
    for hostile in (
        "../outside.mp3",
        "Artist/../../outside.mp3",
        "/etc/passwd",
        "C:\\Music\\x.mp3",
        "Artist/bell\x07.mp3",
        "Artist/line\nbreak.mp3",
        "",
        ".",
    ):
        assert library_relative(hostile) is None, hostile
