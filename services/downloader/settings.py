"""The downloader's settings (section ``DOWNLOADER``)."""

from __future__ import annotations

import msgspec


class DownloaderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    audio_format: Extension planned downloads are filed with (``opus`` keeps YouTube's
        audio as it is).
    library_dir: The music library downloads are filed into.
    concurrency: Downloads at once.
    matcher_address: ``host:port`` of the matcher's gRPC API (ranking search results).
    threshold: Confidence a source needs to be downloaded without asking.
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    audio_format: str = "opus"
    library_dir: str = "~/Music/Tunebridge"
    concurrency: int = 2
    matcher_address: str = "127.0.0.1:50051"
    threshold: float = 0.9
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
