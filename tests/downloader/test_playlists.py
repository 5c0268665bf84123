"""An M3U8 per playlist that players (and our own importer) read back."""

from __future__ import annotations

from pathlib import Path

from services.connectors.domain.playlists import parse_m3u
from services.downloader.adapters.filing import write_playlist
from services.downloader.domain.playlists import PlaylistEntry, playlist_path, render_m3u8


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
    path = write_playlist(tmp_path, playlist_path("Road trip / 2026"), render_m3u8(entries))
    assert path == tmp_path / "Playlists" / "Road trip _ 2026.m3u8"
    text = path.read_text()
    assert text.splitlines()[:3] == [
        "#EXTM3U",
        "#EXTINF:330,Massive Attack - Teardrop",
        "../Massive Attack/Massive Attack - Mezzanine/03 Teardrop.opus",
    ]
    tracks, skipped = parse_m3u(text)
    assert skipped == 0 and [t.title for t in tracks] == ["Teardrop", "Hello hostile"]
    assert (path.parent / tracks[0].provider_id).resolve() == (tmp_path / entries[0].path).resolve()
    assert [p.name for p in path.parent.iterdir()] == ["Road trip _ 2026.m3u8"]
