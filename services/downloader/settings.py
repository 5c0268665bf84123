"""The downloader's settings (section ``DOWNLOADER``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from services.downloader.domain.artwork import MAX_COVER_BYTES
from services.downloader.domain.paths import ALBUM_TEMPLATE, SINGLE_TEMPLATE, Layout
from services.downloader.domain.quality import QualityProfile, profile_from
from services.downloader.domain.sources import DEFAULT_TARGETS
from services.kernel.addresses import AddressPolicy


class DownloaderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    audio_format: Extension planned downloads are filed with (``opus`` keeps YouTube's
        audio as it is).
    library_dir: The music library downloads are filed into.
    downloads_dir: Where plain downloads (no artist chosen) are saved as they are.
    lossy_copies_dir: Where a quality profile's lossy copies of lossless downloads go
        (MP3 or Opus, under the same library path as the lossless file).
    album_template: Where album tracks go (fields: artist, albumartist, album, title,
        track, disc, year, ext).
    single_template: Where singles go.
    concurrency: Downloads at once.
    matcher_address: ``host:port`` of the matcher's gRPC API (ranking search results).
    threshold: Confidence a source needs to be downloaded without asking.
    cover_max_bytes: Largest cover picture fetched from a catalog's artwork address (it is
        embedded in every track of the album and saved beside them as ``cover.jpg``).
    allowed_artwork_hosts: Host names, addresses and ranges (CIDR) a cover may be fetched
        from although they are not public; loopback, private, link-local and metadata
        addresses are refused otherwise (an artwork address can come from a user's upload).
    search_urls: Where yt-dlp searches, in turn ({query} URL-encoded, {raw} as typed,
        {results} how many); any page yt-dlp lists entries from works (an XSPF playlist
        from a local server stands in for YouTube in the tests).
    sources: Audio sources tried in turn, by name: ``youtube`` (yt-dlp) and ``soulseek``
        (slskd; needs ``slskd_url``).
    quality_targets: The quality profile a download that names none is held to: targets
        best first, written ``format[:kbps[:Hz[:bits]]]`` (``flac``, ``mp3:320``; ``any``
        takes whatever the source gives, as before profiles).
    slskd_url: Address of an slskd server (Soulseek), e.g. ``http://slskd:5030``.
    slskd_api_key: Its API key (slskd's ``web.authentication.api_keys``).
    slskd_downloads_dir: slskd's downloads folder as this service sees it (shared with
        slskd): finished files are moved from there into the library.
    allowed_slskd_hosts: Host names, addresses and ranges (CIDR) slskd may be reached at
        although they are not public (an slskd on the same machine or network is the usual
        case: list it here); other private addresses are refused.
    slskd_search_s: How long an slskd search collects answers from peers (seconds).
    slskd_transfer_s: How long a peer may take to send a file (seconds).
    grpc_host: Interface the gRPC ``DownloaderService`` (a person's audio search) listens on.
    grpc_port: Its port (0 picks a free one).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    audio_format: str = "opus"
    library_dir: str = "~/Music/Tunebridge"
    downloads_dir: str = "~/Downloads/Tunebridge"
    lossy_copies_dir: str = "~/Music/Tunebridge Lossy"
    album_template: str = ALBUM_TEMPLATE
    single_template: str = SINGLE_TEMPLATE
    concurrency: int = 2
    matcher_address: str = "127.0.0.1:50051"
    threshold: float = 0.9
    cover_max_bytes: Annotated[int, msgspec.Meta(ge=0)] = MAX_COVER_BYTES
    allowed_artwork_hosts: tuple[str, ...] = ()
    search_urls: tuple[str, ...] = DEFAULT_TARGETS
    sources: tuple[Literal["youtube", "soulseek"], ...] = ("youtube",)
    quality_targets: tuple[str, ...] = ("any",)
    slskd_url: str = ""
    slskd_api_key: str = ""
    slskd_downloads_dir: str = ""
    allowed_slskd_hosts: tuple[str, ...] = ()
    slskd_search_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 15.0
    slskd_transfer_s: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50053
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090

    def __post_init__(self) -> None:
        # A bad template stops the service at start, naming itself, not at the first file.
        Layout(self.album_template, self.single_template)
        AddressPolicy.from_entries(self.allowed_artwork_hosts)  # a bad entry, likewise
        AddressPolicy.from_entries(self.allowed_slskd_hosts)
        profile_from("default", self.quality_targets)  # a badly written target, likewise
        if "soulseek" in self.sources and not (self.slskd_url and self.slskd_downloads_dir):
            raise ValueError("the soulseek source needs slskd_url and slskd_downloads_dir")

    @property
    def profile(self) -> QualityProfile:
        """The default quality profile."""
        return profile_from("default", self.quality_targets)

    @property
    def artwork_addresses(self) -> AddressPolicy:
        """Where a cover may be fetched from."""
        return AddressPolicy.from_entries(self.allowed_artwork_hosts)
