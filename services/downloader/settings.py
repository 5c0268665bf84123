"""The downloader's settings (section ``DOWNLOADER``)."""

from __future__ import annotations

import msgspec


class DownloaderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    audio_format: Container files are filed in (``opus`` keeps YouTube's audio as it is).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    audio_format: str = "opus"
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
