"""Through ``tunebridge up``: a sync job asked for playlist files (``playlist_files``) keeps
an M3U8 of each playlist it syncs into a media server, in the library folder: a 6-track
Spotify playlist, 4 of whose songs are in a media server's library (a real Subsonic
server, Supysonic, and the Jellyfin and Plex emulators, whose items give their files'
paths), becomes a file listing those 4 in the playlist's order, by their paths relative to
the library; a hostile playlist name stays a file inside the library; a dry run writes none.
The 2 others, downloaded (a YouTube stand-in) into the library, join the file as they land;
the job's next run, once the server has scanned them, lists all 6 in the playlist's order."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.e2e.test_media_server_downloads_up import youtube_with
from tests.emulators.jellyfin import TOKEN, JellyfinState, jellyfin_app
from tests.emulators.plex import TOKEN as PLEX_TOKEN
from tests.emulators.plex import PlexState, plex_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.audio import make_audio
from tests.support.catalogues import Recording, shared_recordings
from tests.support.runs import run_job, spotify_to_server_job
from tests.support.supysonic_server import Song, songs_from_spotify, supysonic_server
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN, sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
OWNED = [0, 1, 3, 4]
MISSING = [2, 5]  # not in the library: downloaded
NAME = "../Road\x07trip"  # a name that would climb out of the folder, with a bell in it


@contextlib.contextmanager
def subsonic(songs: list[Song], root: Path) -> Iterator[tuple[dict[str, str], Path]]:
    with supysonic_server(root, songs) as server:
        body = {
            "provider": "subsonic",
            "server_url": server.url,
            "username": server.username,
            "password": server.password,
        }
        yield body, server.music


@contextlib.contextmanager
def jellyfin(songs: list[Song], root: Path) -> Iterator[tuple[dict[str, str], Path]]:
    state = JellyfinState(folder=root / "music")
    for number, song in enumerate(songs):  # laid out as Supysonic's, tagged
        name = f"{song.artist}/{song.album}/{number:05d} {song.title}.mp3"
        tags = {"title": song.title, "artist": song.artist, "album": song.album}
        make_audio(state.folder / name, seconds=song.seconds, **tags)  # type: ignore[operator]
    state.scan_folder()
    with serving_in_thread({"jellyfin": jellyfin_app(state)}, latency_s=0.005) as urls:
        body = {"provider": "jellyfin", "server_url": urls["jellyfin"], "access_token": TOKEN}
        yield body, state.folder  # type: ignore[misc]


@contextlib.contextmanager
def plex(songs: list[Song], root: Path) -> Iterator[tuple[dict[str, str], Path]]:
    state = PlexState(tracks={}, folder=root / "music")
    for number, song in enumerate(songs):  # laid out as Supysonic's, tagged
        name = f"{song.artist}/{song.album}/{number:05d} {song.title}.mp3"
        tags = {"title": song.title, "artist": song.artist, "album": song.album}
        make_audio(state.folder / name, seconds=song.seconds, **tags)  # type: ignore[operator]
    state.scan_folder()
    with serving_in_thread({"plex": plex_app(state)}, latency_s=0.005) as urls:
        body = {"provider": "plex", "server_url": urls["plex"], "access_token": PLEX_TOKEN}
        yield body, state.folder  # type: ignore[misc]


@pytest.mark.parametrize(
    "media_server", [subsonic, jellyfin, plex], ids=["subsonic", "jellyfin", "plex"]
)
def test_a_synced_playlist_gets_an_m3u8_of_its_library_files_in_order(
    start_up: Callable[[dict[str, str]], Started],
    tmp_path: Path,
    media_server: Callable[
        [list[Song], Path], contextlib.AbstractContextManager[tuple[dict[str, str], Path]]
    ],
) -> None:
    spotify = SpotifyState()
    recordings = shared_recordings(spotify, None, 6)
    songs = songs_from_spotify(spotify, recordings)
    with (
        media_server([songs[n] for n in OWNED], tmp_path / "server") as (connection, music),
        youtube_with(recordings, tmp_path / "youtube", MISSING) as (youtube, _),
        serving_in_thread({"spotify": spotify_app(spotify)}, latency_s=0.01) as urls,
    ):
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
                # The library is the folder the media server serves.
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music),
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                "TUNEBRIDGE_SCHEDULER__SCAN_QUIET_S": "2",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            job_id, _ = spotify_to_server_job(
                api,
                spotify,
                connection,
                [r.spotify_uri for r in recordings],
                name=NAME,
                options={"playlist_files": True},
            )
            assert api.get(f"/api/v1/sync/jobs/{job_id}").json()["options"]["playlist_files"]

            dry = api.post(f"/api/v1/sync/jobs/{job_id}/runs", json={"dry_run": True})
            assert dry.status_code == 202, dry.text
            planned = _wait_for(lambda: api.get(dry.json()["url"]).json(), "planned")
            assert planned["status"] == "planned", planned.get("error")

            done = run_job(api, job_id, log)
            assert done["status"] == "completed", done.get("error")
            folder = music / "Playlists" / ADMIN["username"]
            playlist = folder / "_Road trip.m3u8"  # no climbing, no bell
            text = _wait_for(lambda: playlist.exists() and playlist.read_text(), "#EXTM3U")
            assert isinstance(text, str), sorted(map(str, music.rglob("*")))
            assert text.splitlines() == _m3u8(recordings, music, OWNED)
            # The only playlist file, inside the library, in the user's own folder.
            assert list(tmp_path.rglob("*.m3u8")) == [playlist]

            queued = api.post(f"/api/v1/sync/runs/{done['run_id']}/downloads")
            assert queued.status_code == 202 and len(queued.json()["download_ids"]) == 2
            landed = _wait_for(
                lambda: playlist.read_text() if playlist.read_text().count("#EXTINF") == 6 else "",
                "#EXTM3U",
                within=180,
            )
            assert landed.splitlines() == _m3u8(recordings, music, OWNED + MISSING)

            second = run_job(api, job_id, log, within=300)
            assert second["status"] == "completed", second.get("error")
            assert second["counts"]["add_to_b"] == 2
            assert playlist.read_text().splitlines() == _m3u8(recordings, music, range(6))


def _m3u8(recordings: list[Recording], music: Path, numbers: Iterable[int]) -> list[str]:
    """The lines of an M3U8 of these recordings, each by the one file of the library whose
    name ends with its title (Supysonic's ``<number> <title>.mp3``, a download's
    ``<title>.opus``), relative to the library from ``Playlists/<user>/``."""
    files = [p for p in music.rglob("*") if p.suffix in (".mp3", ".opus")]

    def file_of(title: str) -> Path:
        (found,) = [p for p in files if p.stem == title or p.stem.endswith(f" {title}")]
        return found.relative_to(music)

    return ["#EXTM3U"] + [
        line
        for n in numbers
        for line in (
            f"#EXTINF:20,{recordings[n].artist} - {recordings[n].title}",
            f"../../{file_of(recordings[n].title)}",
        )
    ]


def _wait_for(get: Callable[[], Any], want: str, within: float = 60) -> Any:
    """``get()`` once it holds ``want`` (a run's status, a file's text), or at the end."""
    deadline = time.monotonic() + within
    value = get()
    while not _holds(value, want) and time.monotonic() < deadline:
        time.sleep(0.3)
        value = get()
    return value


def _holds(value: Any, want: str) -> bool:
    if isinstance(value, dict):
        return value.get("status") in (want, "failed", "cancelled")
    return isinstance(value, str) and want in value
