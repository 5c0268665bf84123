"""The downloader's settings (section ``DOWNLOADER``)."""

from __future__ import annotations

import msgspec

from services.downloader.domain.paths import ALBUM_TEMPLATE, SINGLE_TEMPLATE, Layout
from services.downloader.domain.sources import DEFAULT_TARGETS


class DownloaderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    audio_format: Extension planned downloads are filed with (``opus`` keeps YouTube's
        audio as it is).
    library_dir: The music library downloads are filed into.
    downloads_dir: Where plain downloads (no artist chosen) are saved as they are.
    album_template: Where album tracks go (fields: artist, albumartist, album, title,
        track, disc, year, ext).
    single_template: Where singles go.
    concurrency: Downloads at once.
    matcher_address: ``host:port`` of the matcher's gRPC API (ranking search results).
    threshold: Confidence a source needs to be downloaded without asking.
    search_urls: Where yt-dlp searches, in turn ({query} URL-encoded, {raw} as typed,
        {results} how many); any page yt-dlp lists entries from works (an XSPF playlist
        from a local server stands in for YouTube in the tests).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    audio_format: str = "opus"
    library_dir: str = "~/Music/Tunebridge"
    downloads_dir: str = "~/Downloads/Tunebridge"
    album_template: str = ALBUM_TEMPLATE
    single_template: str = SINGLE_TEMPLATE
    concurrency: int = 2
    matcher_address: str = "127.0.0.1:50051"
    threshold: float = 0.9
    search_urls: tuple[str, ...] = DEFAULT_TARGETS
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090

    def __post_init__(self) -> None:
        # A bad template stops the service at start, naming itself, not at the first file.
        Layout(self.album_template, self.single_template)
