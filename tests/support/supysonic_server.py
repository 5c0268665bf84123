"""A real Subsonic server for tests: Supysonic (PyPI), on a free loopback port, with its
own SQLite database, one user and a folder of real audio files made with ffmpeg.

Supysonic reads ``supysonic.conf`` from its working directory (and ``~/.supysonic``, so
``HOME`` points into the server's own folder too); its watcher and web UI are off; its
daemon (which runs the scans ``startScan`` asks for) listens on a socket in a folder of
its own, so nothing is shared with anything else. It
speaks API 1.12.0: it takes no salted tokens, which exercises the adapter's fallback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import imageio_ffmpeg
import mutagen

from tests.emulators.spotify import SpotifyState
from tests.support.catalogues import Recording

BIN = Path(sys.executable).parent
USER, PASSWORD = "alice", "correct horse battery"


@dataclass(frozen=True)
class Song:
    """A song to put in the server's folder (``seconds`` long)."""

    title: str
    artist: str
    album: str = "Tunebridge Tests"
    track_number: int = 1
    seconds: int = 1


def songs_from_spotify(spotify: SpotifyState, recordings: Sequence[Recording]) -> list[Song]:
    """The files a person who owns these recordings has: same title, artist, album and
    length as Spotify's (20 s each: Spotify's length is set to match, keeping files small)."""
    songs = []
    for number, recording in enumerate(recordings):
        item = spotify.catalogue[recording.spotify_uri]
        item["duration_ms"] = 20_000
        album = str((item.get("album") or {}).get("name") or "Tunebridge Tests")
        songs.append(Song(recording.title, recording.artist, album, number + 1, seconds=20))
    return songs


@dataclass
class Supysonic:
    """A running Supysonic: where it listens, who may log in, its music folder."""

    url: str
    username: str
    password: str
    music: Path
    root: Path

    def _cli(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / "supysonic-cli"), *args],
            cwd=self.root,
            env=_env(self.root),
            check=True,
            capture_output=True,
            timeout=600,
        )

    def add_songs(self, songs: Sequence[Song], suffix: str = ".mp3") -> list[Path]:
        """Real audio files, one per song, tagged (one tone made by ffmpeg, copied and
        re-tagged: thousands of songs take seconds, not minutes)."""
        made = []
        for number, song in enumerate(songs):
            template = self.root / f"tone-{song.seconds}s{suffix}"
            if not template.exists():
                _tone(template, song.seconds)
            path = self.music / song.artist / song.album / f"{number:05d} {song.title}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, path)
            audio = mutagen.File(path, easy=True)
            assert audio is not None
            if audio.tags is None:
                audio.add_tags()
            audio["title"] = [song.title]
            audio["artist"] = [song.artist]
            audio["album"] = [song.album]
            audio["tracknumber"] = [str(song.track_number)]
            audio.save()
            made.append(path)
        return made

    def playlists(self) -> dict[str, list[str]]:
        """Each playlist's song titles, in order, as the server itself lists them."""
        auth = {"u": self.username, "p": self.password, "v": "1.12.0", "c": "t", "f": "json"}
        # Supysonic answers a 200-entry playlist in seconds on a loaded machine, not in
        # httpx's default 5 s.
        listed = httpx.get(f"{self.url}/rest/getPlaylists", params=auth, timeout=30).json()
        found = {}
        for item in listed["subsonic-response"]["playlists"].get("playlist", []):
            one = httpx.get(
                f"{self.url}/rest/getPlaylist", params={**auth, "id": item["id"]}, timeout=30
            )
            entries = one.json()["subsonic-response"]["playlist"].get("entry", [])
            found[str(item["name"])] = [str(e["title"]) for e in entries]
        return found

    def song_ids(self) -> dict[str, str]:
        """Every song's id by its title, as the server lists them."""
        auth = {"u": self.username, "p": self.password, "v": "1.12.0", "c": "t", "f": "json"}
        query = {**auth, "query": "", "songCount": 10_000, "artistCount": 0, "albumCount": 0}
        found = httpx.get(f"{self.url}/rest/search3", params=query).json()
        songs = found["subsonic-response"]["searchResult3"].get("song", [])
        return {str(song["title"]): str(song["id"]) for song in songs}

    def new_playlist(self, name: str, titles: Sequence[str]) -> None:
        """A playlist made on the server itself (as its own web UI would)."""
        ids = self.song_ids()
        auth = {"u": self.username, "p": self.password, "v": "1.12.0", "c": "t", "f": "json"}
        body = {**auth, "name": name, "songId": [ids[t] for t in titles]}
        answer = httpx.post(f"{self.url}/rest/createPlaylist", data=body).json()
        assert answer["subsonic-response"]["status"] == "ok", answer

    def scan(self) -> None:
        """Scan the folder, waiting until it is done (as ``startScan`` would)."""
        self._cli("folder", "scan", "--foreground", "music")


def _tone(path: Path, seconds: int) -> None:
    """A real, small audio file: a mono tone at a low bit rate (ffmpeg)."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-loglevel", "error", "-y", "-f", "lavfi"),
            *("-i", f"sine=frequency=440:duration={seconds}"),
            *("-ac", "1", "-ar", "22050", "-b:a", "32k", str(path)),
        ],
        check=True,
    )


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(root)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: str, args: Sequence[str], root: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / command), *args], cwd=root, env=_env(root), stdout=out, stderr=out
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def supysonic_server(root: Path, songs: Sequence[Song] = ()) -> Iterator[Supysonic]:
    """Supysonic under ``root`` with ``songs`` scanned, until the block ends: its web
    server, and its daemon (which runs the scans ``startScan`` asks for; the user is an
    administrator, as ``startScan`` requires)."""
    root.mkdir(parents=True, exist_ok=True)
    music = root / "music"
    music.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        # A Unix socket's path has at most 107 bytes: a short folder of its own.
        sockets = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supy-")))
        (root / "supysonic.conf").write_text(
            "[base]\n"
            f"database_uri = sqlite:///{root / 'supysonic.db'}\n"
            "[webapp]\n"
            f"cache_dir = {root / 'cache'}\n"
            "mount_webui = no\n"
            "online_lyrics = no\n"
            "log_level = WARNING\n"
            "[daemon]\n"
            f"socket = {sockets / 'daemon.sock'}\n"
            "run_watcher = no\n"
        )
        port = _free_port()
        server = Supysonic(f"http://127.0.0.1:{port}", USER, PASSWORD, music, root)
        server._cli("folder", "add", "music", str(music))
        server._cli("user", "add", USER, "-p", PASSWORD)
        server._cli("user", "setroles", "--admin", USER)
        if songs:
            server.add_songs(songs)
            server.scan()
        daemon = _start("supysonic-daemon", [], root, root / "daemon.log")
        stack.callback(_stop, daemon)
        web = _start(
            "supysonic-server",
            ["-S", "waitress", "-h", "127.0.0.1", "-p", str(port)],
            root,
            root / "server.log",
        )
        stack.callback(_stop, web)
        deadline = time.monotonic() + 30
        auth = {"u": USER, "p": PASSWORD, "v": "1.12.0", "c": "tests", "f": "json"}
        while True:
            try:
                answer = httpx.get(f"{server.url}/rest/getScanStatus", params=auth, timeout=2)
                if answer.json()["subsonic-response"]["status"] == "ok":
                    break  # the web server answers, and reaches the daemon
            except (httpx.TransportError, ValueError):
                pass  # not listening yet, or not answering JSON yet: ask again
            if web.poll() is not None or daemon.poll() is not None or time.monotonic() > deadline:
                logs = [(root / n).read_text() for n in ("server.log", "daemon.log")]
                raise RuntimeError(f"supysonic did not start: {logs}")
            time.sleep(0.1)
        yield server
