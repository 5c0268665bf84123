"""Every playlist document comes in printable and within a typed track's bounds: an entry
past them is left out with its reason, the rest of the document kept."""

from __future__ import annotations

import pytest

from services.connectors.domain.imports import read_playlist
from services.connectors.domain.playlists import PlaylistError


def test_a_csv_field_past_the_csv_readers_own_limit_leaves_out_only_its_row() -> None:
    text = (
        "Track Name,Artist Name(s)\n"
        f'"{"la" * 100_000}",Someone\n'  # 200,000 characters: past csv's 131,072 too
        "Teardrop,Massive Attack\n"
    )
    read = read_playlist("csv", text.encode())
    assert [(t.title, t.artists) for t in read.tracks] == [("Teardrop", ("Massive Attack",))]
    assert read.skipped == 1
    assert read.reasons == (f'track 1 ("{"la" * 20}…"): its title is longer than 2,000 characters',)


def test_an_m3u_title_of_a_million_characters_is_left_out_and_controls_are_removed() -> None:
    text = (
        "#EXTM3U\n"
        f"#EXTINF:200,Someone - {'x' * 1_000_000}\n/a.mp3\n"
        "#EXTINF:200,Mass\x1bive Attack - Tear\u202edrop\x00\n/b.mp3\n"
    )
    read = read_playlist("m3u", text.encode())
    assert [(t.title, t.artists) for t in read.tracks] == [("Teardrop", ("Massive Attack",))]
    assert read.skipped == 1
    assert "longer than 2,000 characters" in read.reasons[0]


def test_over_long_names_and_titles_of_only_controls_are_said_per_track() -> None:
    data = (
        b'[{"title": "\\u0007\\u0008"}, {"title": "Angel", "album": "' + b"y" * 1001 + b'"},'
        b' {"title": "Angel", "artists": ["Massive Attack"]}]'
    )
    read = read_playlist("json", data)
    assert [t.title for t in read.tracks] == ["Angel"]
    assert read.skipped == 2
    assert read.reasons == (
        'track 1 (""): its title is only control characters',
        'track 2 ("Angel"): an artist or album name is longer than 1,000 characters',
    )


def test_rows_without_a_title_are_counted_in_the_reasons_too() -> None:
    read = read_playlist("csv", b"Title,Artist\n,Nobody\nAngel,Massive Attack\n")
    assert (read.skipped, read.reasons) == (1, ("1 entry has no title",))


def test_a_csv_the_reader_cannot_read_says_where() -> None:
    with pytest.raises(PlaylistError, match="cannot be read at line 2"):
        read_playlist("csv", b'Title,Artist\n"Angel" x"\r",y\n')
