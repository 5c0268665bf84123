"""Reading the playlists people already have."""

from __future__ import annotations

import pytest

from services.connectors.domain.playlists import PlaylistError, parse_json, parse_m3u


def test_extended_m3u_gives_artist_title_and_duration() -> None:
    tracks, skipped = parse_m3u(
        "\ufeff#EXTM3U\r\n#EXTINF:354,Queen - Bohemian Rhapsody\r\n/music/q.mp3\r\n"
        "#EXTINF:-1,Radio stream\nhttp://radio.example/stream\n"
    )
    assert skipped == 0
    assert tracks[0].artists == ("Queen",) and tracks[0].title == "Bohemian Rhapsody"
    assert tracks[0].duration_ms == 354_000 and tracks[0].provider_id == "/music/q.mp3"
    assert tracks[1].title == "Radio stream" and tracks[1].duration_ms is None


def test_plain_m3u_entries_are_read_from_file_names() -> None:
    tracks, _ = parse_m3u(
        "C:\\Music\\Nina Simone\\03 - Nina Simone - Feeling Good.mp3\nsong.flac\n"
    )
    assert (tracks[0].artists, tracks[0].title) == (("Nina Simone",), "Feeling Good")
    assert (tracks[1].artists, tracks[1].title) == ((), "song")


def test_m3u_without_entries_is_an_error() -> None:
    with pytest.raises(PlaylistError, match="no entries"):
        parse_m3u("#EXTM3U\n# just comments\n")


def test_json_list_or_object_with_tracks() -> None:
    listed = parse_json(b'[{"title": "Stay", "artists": ["Rihanna", "Mikky Ekko"], "extra": 1}]')
    wrapped = parse_json(b'{"tracks": [{"title": "Stay", "isrc": "USUM71300043"}]}')
    assert listed[0].artists == ("Rihanna", "Mikky Ekko")
    assert wrapped[0].isrc == "USUM71300043"


@pytest.mark.parametrize("data", [b"{", b'{"tracks": 5}', b'[{"artists": []}]', b'"text"'])
def test_malformed_json_playlists_say_why(data: bytes) -> None:
    with pytest.raises(PlaylistError, match="not a JSON list of tracks"):
        parse_json(data)
