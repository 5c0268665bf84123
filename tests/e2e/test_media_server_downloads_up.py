"""Through ``tunebridge up``: the 50 tracks a sync into a media server reported "not in your
library" are downloaded (a YouTube stand-in) into the folder the server serves; the server
is asked for one scan once they have landed (debounced: fifty downloads, one scan); the
job's next run, started while they are still landing, waits for that scan and then adds
them, each in its place (200 in order); nothing is downloaded twice. Against a real
Subsonic server (Supysonic) and against the Jellyfin emulator, whose library refresh reads
the files' tags as Jellyfin does."""

from __future__ import annotations

import collections
import contextlib
import functools
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.jellyfin import TOKEN, JellyfinState, jellyfin_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.audio import make_audio
from tests.support.catalogues import Recording, shared_recordings
from tests.support.files import QuietHandler
from tests.support.runs import run_job, spotify_to_server_job
from tests.support.supysonic_server import songs_from_spotify, supysonic_server
from tests.support.threaded import serving_in_thread
from tests.support.users import sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
OWNED = [n for n in range(200) if n % 4 != 3]  # 150 in the library, 50 not
MISSING = [n for n in range(200) if n % 4 == 3]
SECONDS = 20  # every recording's length, on Spotify, in the library and on the stand-in


@dataclass
class Server:
    """A media server holding the owned songs, and the folder it scans."""

    connection: dict[str, str]
    playlists: Callable[[], dict[str, list[str]]]
    folder: Path
    scans: Callable[[], int | None]


@contextlib.contextmanager
def subsonic(spotify: SpotifyState, recordings: list[Recording], root: Path) -> Iterator[Server]:
    songs = songs_from_spotify(spotify, recordings)
    with supysonic_server(root, [songs[n] for n in OWNED]) as server:
        body = {
            "provider": "subsonic",
            "server_url": server.url,
            "username": server.username,
            "password": server.password,
        }
        yield Server(body, server.playlists, server.music, lambda: None)


@contextlib.contextmanager
def jellyfin(spotify: SpotifyState, recordings: list[Recording], root: Path) -> Iterator[Server]:
    state = JellyfinState(folder=root / "music")
    state.folder.mkdir(parents=True)  # type: ignore[union-attr]
    for n in OWNED:
        item = spotify.catalogue[recordings[n].spotify_uri]
        album = str((item.get("album") or {}).get("name") or "")
        state.add_track(recordings[n].title, recordings[n].artist, album, SECONDS)
    with serving_in_thread({"jellyfin": jellyfin_app(state)}, latency_s=0.005) as urls:
        body = {"provider": "jellyfin", "server_url": urls["jellyfin"], "access_token": TOKEN}
        yield Server(body, state.titles, state.folder, lambda: state.refreshes)  # type: ignore[arg-type]


class Uploads(QuietHandler):
    """The stand-in for YouTube: a search answers the upload named exactly as asked (as
    XSPF, which yt-dlp's generic extractor reads); each upload's fetches are counted."""

    titles: dict[str, str] = {}
    fetched: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/search.xspf":
            with self.lock:
                self.fetched[parts.path] += 1
            return super().do_GET()
        query = parse_qs(parts.query).get("q", [""])[0].casefold()
        tracks = "".join(
            f"<track><title>{escape(title)}</title><duration>{SECONDS * 1000}</duration>"
            f"<location>{name}</location></track>"
            for title, name in self.titles.items()
            if title.casefold() == query
        )
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?><playlist version="1" '
            f'xmlns="http://xspf.org/ns/0/"><trackList>{tracks}</trackList></playlist>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xspf+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def youtube_with(
    recordings: list[Recording], root: Path, missing: list[int] = MISSING
) -> Iterator[tuple[str, type[Uploads]]]:
    """The stand-in, with an upload of each ``missing`` recording (one tone, copied)."""
    root.mkdir(parents=True)
    tone = root / "tone.opus"
    make_audio(tone, seconds=SECONDS)
    titles = {}
    for n in missing:
        name = f"upload-{n}.opus"
        (root / name).write_bytes(tone.read_bytes())
        titles[f"{recordings[n].artist} - {recordings[n].title}"] = name
    handler = type("StandIn", (Uploads,), {"titles": titles, "fetched": collections.Counter()})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def wait_for(get: Callable[[], Any], done: Callable[[Any], bool], within: float) -> Any:
    deadline = time.monotonic() + within
    value = get()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = get()
    assert done(value), value
    return value


@pytest.mark.parametrize("media_server", [subsonic, jellyfin], ids=["subsonic", "jellyfin"])
def test_downloads_of_what_the_server_lacks_land_are_scanned_once_and_synced_next(
    start_up: Callable[[dict[str, str]], Started],
    tmp_path: Path,
    media_server: Callable[
        [SpotifyState, list[Recording], Path], contextlib.AbstractContextManager[Server]
    ],
) -> None:
    spotify = SpotifyState()
    recordings = shared_recordings(spotify, None, 200)
    for recording in recordings:
        spotify.catalogue[recording.spotify_uri]["duration_ms"] = SECONDS * 1000
    with (
        media_server(spotify, recordings, tmp_path / "server") as server,
        youtube_with(recordings, tmp_path / "youtube") as (youtube, uploads),
        serving_in_thread({"spotify": spotify_app(spotify)}, latency_s=0.01) as urls,
    ):
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                # The downloads land in the folder the media server serves.
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(server.folder),
                "TUNEBRIDGE_DOWNLOADER__CONCURRENCY": "4",
                "TUNEBRIDGE_SCHEDULER__SCAN_QUIET_S": "3",
                "TUNEBRIDGE_SCHEDULER__SCAN_MAX_WAIT_S": "120",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)
            job_id, _ = spotify_to_server_job(
                api, spotify, server.connection, [r.spotify_uri for r in recordings]
            )

            first = run_job(api, job_id, log)
            assert first["status"] == "completed", first.get("error")
            owned = [recordings[n].title for n in OWNED]
            assert server.playlists() == {"Two hundred": owned}
            assert {line["reason"] for line in first["not_synced"]} == {"not in your library"}

            queued = api.post(f"/api/v1/sync/runs/{first['run_id']}/downloads")
            assert queued.status_code == 202, queued.text
            ids = queued.json()["download_ids"]
            assert len(ids) == 50
            again = api.post(f"/api/v1/sync/runs/{first['run_id']}/downloads").json()
            assert again["download_ids"] == ids  # asked twice: the same downloads

            # The next run is asked while the downloads are still landing: it waits for
            # them and for the server's scan, then adds them.
            wait_for(
                lambda: api.get("/api/v1/downloads").json(),
                lambda items: any(i["status"] == "done" for i in items),
                within=180,
            )
            second = run_job(api, job_id, log, within=600)
            assert second["status"] == "completed", second.get("error")
            downloads = api.get("/api/v1/downloads").json()
            assert sorted(d["download_id"] for d in downloads) == sorted(ids)
            assert {d["status"] for d in downloads} == {"done"}, downloads
            assert "Waited for your media servers to scan the downloaded files" in second["notes"]
            assert second["counts"]["add_to_b"] == 50 and second["not_synced_total"] == 0
            # All 200 in the playlist's order: each added track put in its place.
            assert server.playlists() == {"Two hundred": [r.title for r in recordings]}
            assert server.scans() in (None, 1)  # fifty downloads, one scan
            assert len(list(server.folder.rglob("*.opus"))) == 50
            fetched = dict(uploads.fetched)
            assert sorted(fetched) == sorted(f"/upload-{n}.opus" for n in MISSING)

            third = run_job(api, job_id, log)
            assert third["status"] == "completed" and third["counts"]["add_to_b"] == 0
            nothing = api.post(f"/api/v1/sync/runs/{third['run_id']}/downloads").json()
            assert nothing["download_ids"] == []
            assert len(api.get("/api/v1/downloads").json()) == 50
            assert dict(uploads.fetched) == fetched  # no download repeated
