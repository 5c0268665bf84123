"""Export files people already have: Spotify's data download and CSV exports."""

from __future__ import annotations

import json

import pytest

from services.connectors.domain.exports import parse_csv, spotify_export
from services.connectors.domain.imports import read_playlist
from services.connectors.domain.playlists import PlaylistError

# The shapes of Spotify's "download your data" files (Account data and Extended history).
PLAYLISTS = {
    "playlists": [
        {
            "name": "Road trip",
            "lastModifiedDate": "2026-01-02",
            "items": [
                {
                    "track": {
                        "trackName": "Riptide",
                        "artistName": "Vance Joy",
                        "albumName": "Dream Your Life Away",
                        "trackUri": "spotify:track:7yq4Qj7cqayVTp3FF9CWbm",
                    },
                    "episode": None,
                    "localTrack": None,
                    "addedDate": "2026-01-01",
                },
                {"track": None, "episode": {"episodeName": "A podcast"}, "localTrack": None},
                {
                    "track": {
                        "trackName": "Typhoons",
                        "artistName": "Royal Blood",
                        "albumName": "Typhoons",
                        "trackUri": "spotify:track:BAD",
                    }
                },
            ],
        },
        {"name": "Empty", "items": []},
    ]
}
LIBRARY = {
    "tracks": [
        {
            "artist": "The Killers",
            "album": "Hot Fuss",
            "track": "Mr. Brightside",
            "uri": "spotify:track:003vvx7Niy0yvhvHt4a68B",
        }
    ],
    "albums": [],
}
EXTENDED_HISTORY = [
    {
        "ts": "2026-03-02T10:00:00Z",
        "ms_played": 200000,
        "master_metadata_track_name": "Beauty",
        "master_metadata_album_artist_name": "Tigercub",
        "master_metadata_album_album_name": "Beauty",
        "spotify_track_uri": "spotify:track:4ZtFanR9U6ndgddUvNcjcG",
    },
    {
        "ts": "2026-03-01T10:00:00Z",
        "ms_played": 1000,
        "master_metadata_track_name": None,
        "episode_name": "A podcast",
    },
    {
        "ts": "2026-03-01T09:00:00Z",
        "ms_played": 180000,
        "master_metadata_track_name": "Finest Hour",
        "master_metadata_album_artist_name": "Gavin DeGraw",
        "master_metadata_album_album_name": "Make A Move",
        "spotify_track_uri": None,
    },
]
BASIC_HISTORY = [
    {
        "endTime": "2026-03-01 10:00",
        "artistName": "Riton",
        "trackName": "Rinse & Repeat",
        "msPlayed": 1000,
    }
]


def test_spotify_playlist_file_gives_tracks_in_order_without_episodes() -> None:
    tracks = spotify_export(json.dumps(PLAYLISTS).encode())
    assert [(t.title, t.artists, t.album) for t in tracks] == [
        ("Riptide", ("Vance Joy",), "Dream Your Life Away"),
        ("Typhoons", ("Royal Blood",), "Typhoons"),
    ]
    assert (tracks[0].provider, tracks[0].provider_id) == ("spotify", "7yq4Qj7cqayVTp3FF9CWbm")
    assert tracks[1].provider_id is None  # a malformed URI is not an id


def test_spotify_library_and_histories() -> None:
    (liked,) = spotify_export(json.dumps(LIBRARY).encode())
    assert liked.title == "Mr. Brightside" and liked.provider_id == "003vvx7Niy0yvhvHt4a68B"
    plays = spotify_export(json.dumps(EXTENDED_HISTORY).encode())
    assert [p.title for p in plays] == ["Finest Hour", "Beauty"]  # oldest first, no podcasts
    (basic,) = spotify_export(json.dumps(BASIC_HISTORY).encode())
    assert basic.artists == ("Riton",)


@pytest.mark.parametrize("data", [b"{", b'{"something": 1}', b"42"])
def test_other_json_is_not_a_spotify_export(data: bytes) -> None:
    with pytest.raises(PlaylistError, match="not a Spotify export"):
        spotify_export(data)


EXPORTIFY = (
    '\ufeff"Track URI","Track Name","Artist URI(s)","Artist Name(s)","Album Name",'
    '"Album Artist Name(s)","Album Release Date","Album Image URL","Disc Number",'
    '"Track Number","Track Duration (ms)","Explicit","ISRC","Genres"\n'
    '"spotify:track:32OlwWuMpZ6b0aN2RZOeMS","Uptown Funk (feat. Bruno Mars)","x",'
    '"Mark Ronson,Bruno Mars","Uptown Special","Mark Ronson","2015-01-12",'
    '"https://i.scdn.co/image/ab67","1","4","269666","false","GBARL1401524",'
    '"dance pop,funk"\n'
    '"","","","","","","","","","","","","",""\n'
)


def test_exportify_csv_keeps_every_field_the_matcher_and_tagger_need() -> None:
    (track,), skipped = parse_csv(EXPORTIFY)
    assert skipped == 0
    assert track.title == "Uptown Funk (feat. Bruno Mars)"
    assert track.artists == ("Mark Ronson", "Bruno Mars")
    assert (track.album, track.album_artists) == ("Uptown Special", ("Mark Ronson",))
    assert (track.disc_number, track.track_number, track.duration_ms) == (1, 4, 269_666)
    assert (track.explicit, track.isrc, track.release_date) == (False, "GBARL1401524", "2015-01-12")
    assert track.genres == ("dance pop", "funk")
    assert track.artwork_urls == ("https://i.scdn.co/image/ab67",)
    assert (track.provider, track.provider_id) == ("spotify", "32OlwWuMpZ6b0aN2RZOeMS")


def test_other_csv_dialects_and_column_names() -> None:
    text = (
        "Title;Artist;Length;Album\n"
        "Teardrop;Massive Attack;5:30;Mezzanine\n;;;\nAngel;Massive Attack;;\n"
    )
    tracks, _, _ = read_playlist("csv", text.encode())
    assert [(t.title, t.duration_ms) for t in tracks] == [("Teardrop", 330_000), ("Angel", None)]
    tabbed, _ = parse_csv("name\tartists\tduration\nHello\tAdele\t295.5\n")
    assert tabbed[0].duration_ms == 295_500


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("Artist,Album\nx,y\n", "no title column"), ("Track Name\n\n", "no rows")],
)
def test_unreadable_csv_says_why(text: str, reason: str) -> None:
    with pytest.raises(PlaylistError, match=reason):
        parse_csv(text)
