"""gRPC clients for the interactive questions the gateway asks other services."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from opentelemetry.sdk.trace import TracerProvider

from services.kernel import grpcwire
from services.kernel.contracts import Track
from services.kernel.grpcwire import track_to_proto
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from services.kernel.rpc.tunebridge.downloader.v1 import downloader_pb2, downloader_pb2_grpc
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from services.kernel.rpc.tunebridge.music.v1 import track_pb2

#: Interactive calls answer fast or not at all.
TIMEOUT_S = 10.0
#: An audio search waits for its slowest source (a Soulseek search collects answers for
#: seconds; the downloader gives each source its own deadline within this).
AUDIO_SEARCH_TIMEOUT_S = 60.0


class ServiceClients:
    """Channels to the matcher, the connectors and the downloader, opened once."""

    def __init__(
        self,
        matcher_address: str,
        catalog_address: str,
        provider: TracerProvider,
        auth: grpcwire.GrpcAuth,
        downloader_address: str = "127.0.0.1:50053",
    ):
        self._matcher_channel = grpcwire.channel(matcher_address, provider, auth)
        self._catalog_channel = grpcwire.channel(catalog_address, provider, auth)
        self._downloader_channel = grpcwire.channel(downloader_address, provider, auth)
        self.downloader = downloader_pb2_grpc.DownloaderServiceStub(self._downloader_channel)
        self.matcher = matcher_pb2_grpc.MatcherServiceStub(self._matcher_channel)
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(self._catalog_channel)
        self.connections = catalog_pb2_grpc.ConnectionsServiceStub(self._catalog_channel)
        #: Providers' names as people know them, asked once (the registry is fixed).
        self._display_names: dict[str, str] = {}
        self._libraries: set[str] = set()

    async def rank(
        self, user_id: str, source: Track, candidates: list[Track]
    ) -> matcher_pb2.RankCandidatesResponse:
        """The matcher's ranking of ``candidates`` for ``source``."""
        request = matcher_pb2.RankCandidatesRequest(
            user_id=user_id,
            source=track_to_proto(source),
            candidates=[track_to_proto(c) for c in candidates],
        )
        response: matcher_pb2.RankCandidatesResponse = await self.matcher.RankCandidates(
            request, timeout=TIMEOUT_S
        )
        return response

    async def providers(self, user_id: str) -> catalog_pb2.ListProvidersResponse:
        """Every provider the connectors know, with capabilities."""
        response: catalog_pb2.ListProvidersResponse = await self.catalog.ListProviders(
            catalog_pb2.ListProvidersRequest(user_id=user_id), timeout=TIMEOUT_S
        )
        return response

    async def display_names(self) -> dict[str, str]:
        """Each provider's name as people know it ("YouTube Music" for ``ytmusic``), from
        the connectors' registry; raises ServiceUnavailable while they do not answer."""
        if not self._display_names:
            response = await self.providers("")
            self._display_names = {p.name: p.display_name for p in response.providers}
            self._libraries = {
                p.name for p in response.providers if "scan_library" in p.capabilities
            }
        return self._display_names

    async def libraries(self) -> set[str]:
        """The providers whose search finds only what the person has (media servers and
        folders: their ``scan_library``); raises ServiceUnavailable like ``display_names``."""
        await self.display_names()
        return self._libraries

    async def search_tracks(
        self, user_id: str, provider: str, query: Track, limit: int = 10, connection_id: str = ""
    ) -> list[Track]:
        """A provider's catalog search (as one of the user's connections, if given),
        through the connectors."""
        response = await self.catalog.SearchTracks(
            catalog_pb2.SearchTracksRequest(
                user_id=user_id,
                provider=provider,
                query=track_to_proto(query),
                limit=limit,
                connection_id=connection_id,
            ),
            timeout=TIMEOUT_S,
        )
        return [grpcwire.track_from_proto(t) for t in response.tracks]

    async def get_track(
        self, user_id: str, provider: str, track_id: str, connection_id: str = ""
    ) -> Track | None:
        """A catalog track's full record, through the connectors (None if it is gone)."""
        response = await self.catalog.GetTrack(
            catalog_pb2.GetTrackRequest(
                user_id=user_id, provider=provider, track_id=track_id, connection_id=connection_id
            ),
            timeout=TIMEOUT_S,
        )
        return grpcwire.track_from_proto(response.track) if response.found else None

    async def suggest_artists(
        self,
        user_id: str,
        title: str,
        uploader: str,
        duration_ms: int,
        search_results: list[Track],
        options: Sequence[tuple[str, str]] = (),
    ) -> matcher_pb2.SuggestArtistsResponse:
        """The five most likely artists of a raw track; ``options`` are known artists as
        ``(name, image URL)`` to show them with."""
        response: matcher_pb2.SuggestArtistsResponse = await self.matcher.SuggestArtists(
            matcher_pb2.SuggestArtistsRequest(
                user_id=user_id,
                title=title,
                uploader=uploader,
                duration_ms=duration_ms,
                search_results=[track_to_proto(t) for t in search_results],
                options=[track_pb2.Artist(name=n, image_url=i) for n, i in options],
            ),
            timeout=TIMEOUT_S,
        )
        return response

    async def search_artists(
        self, user_id: str, query: str, options: Sequence[tuple[str, str]]
    ) -> matcher_pb2.SearchArtistsResponse:
        """Artist options, as ``(name, image URL)``, ranked against what a person typed."""
        response: matcher_pb2.SearchArtistsResponse = await self.matcher.SearchArtists(
            matcher_pb2.SearchArtistsRequest(
                user_id=user_id,
                query=query,
                options=[track_pb2.Artist(name=n, image_url=i) for n, i in options],
            ),
            timeout=TIMEOUT_S,
        )
        return response

    async def add_connection(
        self, request: catalog_pb2.AddConnectionRequest
    ) -> catalog_pb2.AddConnectionResponse:
        """Connect an account from tokens (the connectors check and seal them)."""
        response: catalog_pb2.AddConnectionResponse = await self.connections.AddConnection(
            request, timeout=TIMEOUT_S * 3
        )
        return response

    async def start_consent(
        self, request: catalog_pb2.StartConsentRequest
    ) -> catalog_pb2.StartConsentResponse:
        """Where to send a person to consent, and the state that comes back with them."""
        response: catalog_pb2.StartConsentResponse = await self.connections.StartConsent(
            request, timeout=TIMEOUT_S
        )
        return response

    async def complete_consent(
        self, request: catalog_pb2.CompleteConsentRequest
    ) -> catalog_pb2.AddConnectionResponse:
        """Exchange a consent's code for a connection."""
        response: catalog_pb2.AddConnectionResponse = await self.connections.CompleteConsent(
            request, timeout=TIMEOUT_S * 3
        )
        return response

    async def list_playlists(
        self, user_id: str, connection_id: str
    ) -> catalog_pb2.ListPlaylistsResponse:
        """A connected account's playlists."""
        response: catalog_pb2.ListPlaylistsResponse = await self.connections.ListPlaylists(
            catalog_pb2.ListPlaylistsRequest(user_id=user_id, connection_id=connection_id),
            timeout=TIMEOUT_S * 3,
        )
        return response

    async def disconnect(
        self, user_id: str, connection_id: str = "", every_connection: bool = False
    ) -> int:
        """Ask the connectors, who own connections, to erase one (or all of a user's);
        how many went."""
        response: catalog_pb2.DisconnectResponse = await self.connections.Disconnect(
            catalog_pb2.DisconnectRequest(
                user_id=user_id, connection_id=connection_id, every_connection=every_connection
            ),
            timeout=TIMEOUT_S,
        )
        return response.removed

    async def browse_tracks(
        self, request: catalog_pb2.BrowseTracksRequest
    ) -> tuple[list[Track], bool]:
        """One page of a connected account's tracks, and whether more follow."""
        response = await self.connections.BrowseTracks(request, timeout=TIMEOUT_S * 6)
        return [grpcwire.track_from_proto(t) for t in response.tracks], response.has_more

    async def search_audio(
        self, user_id: str, query: str, limit: int = 0
    ) -> downloader_pb2.SearchAudioResponse:
        """What the downloader's audio sources have for ``query`` (kept for a download)."""
        response: downloader_pb2.SearchAudioResponse = await self.downloader.SearchAudio(
            downloader_pb2.SearchAudioRequest(user_id=user_id, query=query, limit=limit),
            timeout=AUDIO_SEARCH_TIMEOUT_S,
        )
        return response

    async def close(self) -> None:
        await self._matcher_channel.close()
        await self._catalog_channel.close()
        await self._downloader_channel.close()


ServiceUnavailable = grpc.aio.AioRpcError
