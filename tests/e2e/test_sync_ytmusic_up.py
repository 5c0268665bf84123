"""Spotify and YouTube Music synced through ``tunebridge up`` against their emulators: a
1,000-track playlist arrives exact (every track once, in order), a second run writes
nothing, a deleted YouTube Music copy is made again, a both-ways pair converges, liked
songs flow both ways, and each side's listening history grows a playlist on the other."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.emulators.ytmusic import YtMusicState, example_headers, ytmusic_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ENDED = ("planned", "completed", "partial", "failed", "cancelled")


@dataclass
class Up:
    api: httpx.Client
    log: Path
    spotify: SpotifyState
    ytmusic: YtMusicState
    spotify_connection: str
    ytmusic_connection: str

    def job(self, **fields: Any) -> str:
        body = {
            "name": "e2e",
            "a_connection_id": self.spotify_connection,
            "b_connection_id": self.ytmusic_connection,
            **fields,
        }
        answer = self.api.post("/api/v1/sync/jobs", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["job_id"])

    def run(self, job_id: str, within: float = 400) -> dict[str, Any]:
        answer = self.api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": False})
        assert answer.status_code == 202, answer.text
        url = str(answer.json()["url"])
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            view = self.api.get(url).json()
            if view.get("status") in ENDED:
                return dict(view)
            time.sleep(0.5)
        raise AssertionError(f"the run did not end: {view}\n{self.log.read_text()[-3000:]}")


def on_ytmusic(up: Up, songs: list[Recording]) -> list[str]:
    """The same recordings in YouTube Music's catalogue (no ISRC there): their video ids."""
    videos = []
    for song in songs:
        seconds = up.spotify.catalogue[song.spotify_uri]["duration_ms"] // 1000
        made = up.ytmusic.add_song(
            song.title, song.artist, album=(song.title, f"MPREb_{song.isrc}"), seconds=seconds
        )
        videos.append(made.video_id)
    return videos


@pytest.fixture
def up(start_up: Callable[[dict[str, str]], Started]) -> Iterator[Up]:
    spotify, ytmusic = SpotifyState(), YtMusicState()
    apps = {"spotify": spotify_app(spotify), "ytmusic": ytmusic_app(ytmusic)}
    with serving_in_thread(apps, latency_s=0.01) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__CALLS_PER_30S": "30000",
                "TUNEBRIDGE_YTMUSIC__API_URL": urls["ytmusic"],
                "TUNEBRIDGE_YTMUSIC__OAUTH_URL": urls["ytmusic"],
                "TUNEBRIDGE_YTMUSIC__CALLS_PER_MINUTE": "600000",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            access, refresh = spotify.grant()
            made = api.post(
                "/api/v1/connections",
                json={
                    "provider": "spotify",
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in_s": 3600,
                    "client_id": spotify.client_id,
                },
            )
            assert made.status_code == 201, made.text
            headers = api.post(
                "/api/v1/connections", json={"provider": "ytmusic", "headers": example_headers()}
            )
            assert headers.status_code == 201, headers.text
            yield Up(
                api,
                log,
                spotify,
                ytmusic,
                str(made.json()["connection_id"]),
                str(headers.json()["connection_id"]),
            )


def test_a_thousand_tracks_arrive_exact_hold_still_and_are_made_again(up: Up) -> None:
    songs = shared_recordings(up.spotify, None, 1000)
    # Ten of them YouTube Music does not have: every other track is findable.
    absent = set(range(50, 1000, 100))
    videos = on_ytmusic(up, [s for n, s in enumerate(songs) if n not in absent])
    source = up.spotify.new_playlist("A thousand", [s.spotify_uri for s in songs])
    job = up.job(playlists=[{"a_playlist_id": source}])

    started = time.monotonic()
    first = up.run(job)
    took = time.monotonic() - started
    assert first["status"] == "completed", first
    (copy_id,) = up.ytmusic.playlists
    assert up.ytmusic.videos(copy_id) == videos  # every findable track once, in order
    assert first["counts"]["add_to_b"] == 990 and first["not_synced_total"] == 10, first
    assert sorted(line["title"] for line in first["not_synced"]) == sorted(
        songs[n].title for n in absent
    )
    print(f"1,000 tracks Spotify -> YouTube Music in {took:.1f} s; calls {dict(up.ytmusic.calls)}")

    writes = len(up.ytmusic.writes)
    second = up.run(job)
    assert second["status"] == "completed" and second["counts"]["add_to_b"] == 0, second
    assert len(up.ytmusic.writes) == writes  # nothing written
    assert up.ytmusic.videos(copy_id) == videos

    del up.ytmusic.playlists[copy_id]  # the person deleted the copy on YouTube Music
    again = up.run(job)
    assert again["status"] == "completed", again
    (remade,) = up.ytmusic.playlists
    assert remade != copy_id and up.ytmusic.videos(remade) == videos
    assert up.ytmusic.playlists[remade].title == "A thousand"


def test_both_ways_converge_and_then_hold_still(up: Up) -> None:
    songs = shared_recordings(up.spotify, None, 40)
    videos = on_ytmusic(up, songs)
    ours = up.spotify.new_playlist("Shared", [s.spotify_uri for s in songs[:25]])
    theirs = up.ytmusic.new_playlist("Shared", videos[20:40])
    both = up.job(direction="both", playlists=[{"a_playlist_id": ours, "b_playlist_id": theirs}])
    merged = up.run(both)
    assert merged["status"] == "completed", merged
    assert sorted(up.spotify.playlists[ours]["items"]) == sorted(s.spotify_uri for s in songs)
    assert sorted(up.ytmusic.videos(theirs)) == sorted(videos)
    still = up.run(both)
    assert all(still["counts"][k] == 0 for k in ("add_to_a", "add_to_b", "remove_from_a"))
    assert len(up.ytmusic.videos(theirs)) == 40 and len(up.spotify.playlists[ours]["items"]) == 40

    # The pasted headers expire: the run says so, and the connection asks to be made again.
    up.ytmusic.headers_expired = 401
    refused = up.run(both)
    assert refused["status"] in ("failed", "partial"), refused
    connection = up.api.get(f"/api/v1/connections/{up.ytmusic_connection}").json()
    assert connection["status"] == "needs_reauthorisation"
    assert "fresh headers" in connection["message"]


def test_liked_songs_flow_both_ways(up: Up) -> None:
    songs = shared_recordings(up.spotify, None, 12)
    videos = on_ytmusic(up, songs)
    up.spotify.library[:] = [s.spotify_uri for s in songs[:6]]
    up.ytmusic.liked[:] = videos[4:12]
    job = up.job(liked=True, direction="both")
    first = up.run(job)
    assert first["status"] == "completed", first
    assert sorted(up.ytmusic.liked) == sorted(videos)
    assert sorted(up.spotify.library) == sorted(s.spotify_uri for s in songs)
    still = up.run(job)
    assert still["counts"]["add_to_a"] == 0 and still["counts"]["add_to_b"] == 0, still


def test_a_youtube_music_playlist_flows_into_deezer(
    start_up: Callable[[dict[str, str]], Started],
) -> None:
    from tests.emulators.deezer import TOKEN, DeezerState, deezer_app

    spotify, deezer, ytmusic = SpotifyState(), DeezerState(), YtMusicState()
    songs = shared_recordings(spotify, deezer, 30)
    apps = {"deezer": deezer_app(deezer), "ytmusic": ytmusic_app(ytmusic)}
    with serving_in_thread(apps, latency_s=0.01) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "2000",
                "TUNEBRIDGE_YTMUSIC__API_URL": urls["ytmusic"],
                "TUNEBRIDGE_YTMUSIC__CALLS_PER_MINUTE": "600000",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            made = [
                api.post("/api/v1/connections", json=body).json()["connection_id"]
                for body in (
                    {"provider": "ytmusic", "headers": example_headers()},
                    {"provider": "deezer", "access_token": TOKEN},
                )
            ]
            up = Up(api, log, spotify, ytmusic, made[0], made[1])
            videos = on_ytmusic(up, songs)
            source = ytmusic.new_playlist("From YouTube Music", videos)
            answer = api.post(
                "/api/v1/sync/jobs",
                json={
                    "name": "yt to deezer",
                    "a_connection_id": made[0],
                    "b_connection_id": made[1],
                    "playlists": [{"a_playlist_id": source}],
                },
            )
            assert answer.status_code == 201, answer.text
            ran = up.run(str(answer.json()["job_id"]))
            assert ran["status"] == "completed", ran
            (copy_id,) = deezer.playlists
            assert deezer.playlists[copy_id] == [s.deezer_id for s in songs]


def test_listening_histories_are_kept_as_playlists_that_only_grow(up: Up) -> None:
    """YouTube Music's history is read only (nothing can be written into it): each side's
    history is copied into a playlist on the other, which only grows, each song once."""
    songs = shared_recordings(up.spotify, None, 16)
    videos = on_ytmusic(up, songs)
    uris = [s.spotify_uri for s in songs]
    up.ytmusic.history[:] = videos[:6]  # newest first, as YouTube Music lists it
    # Spotify lists every play: song 10 was played twice (its emulator plays the library).
    up.spotify.library[:] = [uris[10], uris[11], uris[10], uris[12]]
    job = up.job(recently_played=True, direction="both")
    first = up.run(job)
    assert first["status"] == "completed", first
    (on_spotify,) = [
        p
        for p, v in up.spotify.playlists.items()
        if v["name"] == "Recently played on YouTube Music"
    ]
    (on_ytmusic_copy,) = up.ytmusic.playlists
    assert up.ytmusic.playlists[on_ytmusic_copy].title == "Recently played on Spotify"
    assert up.spotify.playlists[on_spotify]["items"] == uris[:6]  # in the history's order
    assert up.ytmusic.videos(on_ytmusic_copy) == [videos[10], videos[11], videos[12]]  # once

    # Two new plays, a replay of a song already copied; the oldest plays fell off.
    up.ytmusic.history[:] = [videos[7], videos[6], videos[2], videos[0], videos[1]]
    second = up.run(job)
    assert second["status"] == "completed", second
    grown = up.spotify.playlists[on_spotify]["items"]
    # What was copied stays where it was; the new plays follow, as the history lists them.
    assert grown == [*uris[:6], uris[7], uris[6]], [uris.index(u) for u in grown]
    assert up.ytmusic.videos(on_ytmusic_copy) == [videos[10], videos[11], videos[12]]
    assert up.ytmusic.history == [videos[7], videos[6], videos[2], videos[0], videos[1]]

    writes = len(up.ytmusic.writes)
    still = up.run(job)
    assert still["status"] == "completed", still
    assert still["counts"]["add_to_a"] == 0 and still["counts"]["add_to_b"] == 0, still
    assert len(up.ytmusic.writes) == writes and up.spotify.playlists[on_spotify]["items"] == grown


def test_a_youtube_music_library_moves_its_albums_and_artists_to_spotify(up: Up) -> None:
    from tests.support.catalogues import shared_albums, shared_artists

    albums = shared_albums(up.spotify, None, 3)
    up.spotify.saved_albums = []
    for album in albums:
        year = up.spotify.albums[album.spotify_id]["release_date"][:4]
        up.ytmusic.albums.append(
            {
                "title": album.title,
                "browse_id": f"MPREb_{album.spotify_id}",
                "artist": album.artist,
                "year": year,
            }
        )
    artists = shared_artists(up.spotify, None, 2)
    up.ytmusic.subscriptions = [
        {"name": a.title, "channel": f"UC{n:022d}"} for n, a in enumerate(artists)
    ] + [{"name": "Nobody Spotify Knows", "channel": "UC" + "9" * 22}]
    made = up.api.post(
        "/api/v1/moves",
        json={
            "source_connection_id": up.ytmusic_connection,
            "target_connection_id": up.spotify_connection,
            "playlists": [],
            "liked": False,
        },
    )
    assert made.status_code == 201, made.text
    move = made.json()
    assert (move["albums"], move["artists"]) == (True, True)
    started = up.api.post(f"/api/v1/moves/{move['move_id']}/runs", json={})
    run = started.json()
    deadline = time.monotonic() + 200
    while (view := up.api.get(run["url"]).json())["status"] not in ENDED:
        assert time.monotonic() < deadline, view
        time.sleep(0.5)
    assert view["status"] == "completed", view
    assert sorted(up.spotify.saved_albums) == sorted(a.spotify_id for a in albums)
    assert up.spotify.followed == [a.spotify_id for a in artists]
    report = up.api.get(run["report"]).json()["items"]
    assert [(i["title"], i["reason"]) for i in report if i["status"] == "not moved"] == [
        ("Nobody Spotify Knows", "no match found on Spotify")
    ]
    # The other way, YouTube Music keeps them too: the move carries them.
    back = up.api.post(
        "/api/v1/moves",
        json={
            "source_connection_id": up.spotify_connection,
            "target_connection_id": up.ytmusic_connection,
        },
    ).json()
    assert (back["albums"], back["artists"], back["left_out"]) == (True, True, [])
