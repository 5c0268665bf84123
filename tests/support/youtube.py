"""A local server that stands in for YouTube: search answers as an XSPF playlist, which
yt-dlp's generic extractor reads, and the uploads as real audio files made with ffmpeg."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest

from tests.support.audio import make_audio
from tests.support.files import TricklingHandler, serving_folder

#: What "YouTube" has: upload title (as uploaders write it) -> audio file and seconds.
UPLOADS = {
    "Massive Attack - Teardrop": ("teardrop.opus", 4),
    "Massive Attack - Teardrop (Live)": ("teardrop-live.opus", 6),
    "Nul - AUX (Official Audio)": ("aux.m4a", 3),
    "Drip - Slow Song": ("slow-song.opus", 60),
}


class FakeYouTube(TricklingHandler):
    """Search answers as XSPF; the media as files (``slow-*`` ones trickle out)."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/search.xspf":
            return super().do_GET()
        words = set(parse_qs(parts.query).get("q", [""])[0].casefold().split())
        tracks = "".join(
            f"<track><title>{escape(title)}</title><duration>{seconds * 1000}</duration>"
            f"<location>{name}</location></track>"
            for title, (name, seconds) in UPLOADS.items()
            if words & set(title.casefold().replace("-", " ").split())
        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><playlist version="1" '
            f'xmlns="http://xspf.org/ns/0/"><trackList>{tracks}</trackList></playlist>'
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xspf+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def youtube(tmp_path: Path) -> Iterator[str]:
    """The stand-in's base URL; ``{base}/search.xspf?q={query}`` is its search."""
    root = tmp_path / "youtube"
    for name, seconds in UPLOADS.values():
        make_audio(root / name, seconds=seconds)
    with serving_folder(root, FakeYouTube) as url:
        yield url
