"""Bus edge of the connectors: per-provider work queues for reading and writing accounts.

A failure the user must act on (a spent quota, a refused consent, something the provider
cannot do) is answered with the reason; transient trouble that outlasted the HTTP layer's
retries is left to the bus's redelivery with back-off.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.factory import ProviderFactory, UnknownProvider
from services.connectors.adapters.http import ProviderError, RetriesExhausted
from services.connectors.adapters.provider import NotSupported, Provider
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.domain.operations import WriteProgress
from services.kernel.aio import gather_bounded
from services.kernel.bus import Bus
from services.kernel.contracts import (
    CandidatesFound,
    CandidatesRequested,
    Collection,
    CollectionKind,
    PlaylistRef,
    ProviderRead,
    ProviderReadRequested,
    ProviderWriteRequested,
    ProviderWritten,
    RankItem,
    Track,
    reply_to,
)
from services.kernel.records import ConnectionRecord
from services.kernel.store import Store, save_collection

log = logging.getLogger("tunebridge.connectors.work")


class _Refused(Exception):
    """A failure to report to the user, not to retry."""

    def __init__(self, message: str, reauthorise: bool = False) -> None:
        super().__init__(message)
        self.reauthorise = reauthorise


# What a read's snapshot holds: liked songs and recent plays are both "liked" lists.
_KINDS: dict[str, CollectionKind] = {"playlist": "playlist", "library": "library"}


def _written(
    request: ProviderWriteRequested,
    playlist_id: str | None = None,
    refused: _Refused | None = None,
) -> ProviderWritten:
    """The answer to a write: what it did, or why it was refused."""
    if refused is not None:
        return ProviderWritten(
            **reply_to(request),
            request_id=request.request_id,
            connection_id=request.connection_id,
            provider=request.provider,
            playlist_id=playlist_id,
            error=str(refused),
            needs_reauthorisation=refused.reauthorise,
        )
    return ProviderWritten(
        **reply_to(request),
        request_id=request.request_id,
        connection_id=request.connection_id,
        provider=request.provider,
        playlist_id=playlist_id,
        added=len(request.add),
        removed=len(request.remove),
    )


class ProviderWork:
    """Handles ``providers.read_requested`` and ``providers.write_requested``."""

    def __init__(
        self, bus: Bus, store: Store, accounts: Accounts, factory: ProviderFactory
    ) -> None:
        self.bus = bus
        self.store = store
        self.accounts = accounts
        self.factory = factory

    async def _provider(
        self, user_id: str, connection_id: str
    ) -> tuple[ConnectionRecord, Provider]:
        record = await self.accounts.get(user_id, connection_id)
        if record is None:
            raise _Refused("no such connection")
        if record.status == "needs_reauthorisation":
            raise _Refused(record.message or "the connection needs re-authorisation", True)
        try:
            return record, self.factory.for_connection(record)
        except UnknownProvider:
            raise _Refused(f"no connector for {record.provider}") from None

    async def _refusal(self, user_id: str, connection_id: str, error: Exception) -> _Refused:
        if isinstance(error, NeedsReauthorisation):
            await self.accounts.needs_reauthorisation(user_id, connection_id, str(error))
            return _Refused(str(error), True)
        if isinstance(error, _Refused):
            return error
        return _Refused(str(error))

    async def read(self, request: ProviderReadRequested) -> None:
        reply: ProviderRead
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            if request.collection == "playlists":
                playlists = tuple(
                    [
                        PlaylistRef(
                            playlist_id=p.playlist_id,
                            name=p.name,
                            track_count=p.track_count,
                            owned=p.owned,
                            snapshot=p.snapshot,
                        )
                        async for p in provider.playlists()
                    ]
                )
                reply = ProviderRead(
                    **reply_to(request),
                    request_id=request.request_id,
                    connection_id=request.connection_id,
                    provider=request.provider,
                    playlists=playlists,
                )
            else:
                tracks = [t async for t in self._tracks(provider, request)]
                collection = Collection(
                    user_id=request.user_id,
                    kind=_KINDS.get(request.collection, "liked"),
                    tracks=tuple(tracks),
                    source=request.provider,
                )
                snapshot = await save_collection(self.store, request.user_id, collection)
                reply = ProviderRead(
                    **reply_to(request),
                    request_id=request.request_id,
                    connection_id=request.connection_id,
                    provider=request.provider,
                    snapshot=snapshot,
                )
        except RetriesExhausted:
            raise  # transient: the bus redelivers with back-off
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            reply = ProviderRead(
                **reply_to(request),
                request_id=request.request_id,
                connection_id=request.connection_id,
                provider=request.provider,
                error=str(refused),
                needs_reauthorisation=refused.reauthorise,
            )
        await self.bus.publish(reply)

    def _tracks(self, provider: Provider, request: ProviderReadRequested) -> AsyncIterator[Track]:
        if request.collection == "playlist":
            if not request.playlist_id:
                raise _Refused("a playlist read needs playlist_id")
            return provider.playlist_items(request.playlist_id)
        if request.collection == "recent":
            return provider.recently_played()
        if request.collection == "library":
            return provider.library()
        return provider.liked_tracks()

    async def candidates(self, request: CandidatesRequested) -> None:
        """Each track's likely equivalents in the catalog, for the matcher to judge."""
        reply: CandidatesFound
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            found = await gather_bounded(
                [_candidates(provider, track) for track in request.tracks], CONCURRENT_LOOKUPS
            )
            items = [
                RankItem(track=track, candidates=candidates)
                for track, candidates in zip(request.tracks, found, strict=True)
            ]
            reply = CandidatesFound(
                **reply_to(request),
                request_id=request.request_id,
                connection_id=request.connection_id,
                provider=request.provider,
                items=tuple(items),
            )
        except RetriesExhausted:
            raise
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            reply = CandidatesFound(
                **reply_to(request),
                request_id=request.request_id,
                connection_id=request.connection_id,
                provider=request.provider,
                error=str(refused),
            )
        await self.bus.publish(reply)

    async def write(self, request: ProviderWriteRequested) -> None:
        if request.collection == "liked":
            await self._write_liked(request)
            return
        key = f"{request.user_id}.{request.request_id}"
        progress = await self.store.get("operations", key, WriteProgress)
        if progress and progress.reply:
            await self.bus.publish(progress.reply)  # answered before: say it again, do nothing
            return
        seen_before = progress is not None
        progress = progress or WriteProgress(playlist_id=request.playlist_id)
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            if progress.playlist_id is None:
                if not request.create_name:
                    raise _Refused("a write needs playlist_id or create_name")
                created = await provider.create_playlist(request.create_name)
                progress.playlist_id = created.playlist_id
                await self.store.put("operations", key, progress)
            if request.add:
                if (
                    seen_before
                    and progress.started_adding
                    and (
                        await provider.playlist_tail(progress.playlist_id, len(request.add))
                        == list(request.add)
                    )
                ):
                    pass  # appended before the last delivery died
                else:
                    progress.started_adding = True
                    await self.store.put("operations", key, progress)
                    await provider.add_items(progress.playlist_id, request.add)
            if request.remove:
                await provider.remove_items(progress.playlist_id, request.remove)
            reply = _written(request, progress.playlist_id)
        except RetriesExhausted:
            raise
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            reply = _written(request, progress.playlist_id, refused)
        progress.reply = reply
        await self.store.put("operations", key, progress)
        await self.bus.publish(reply)

    async def _write_liked(self, request: ProviderWriteRequested) -> None:
        """Like and unlike tracks: both are idempotent at the provider, so a redelivery
        simply does it again."""
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            if request.add:
                await provider.like(request.add)
            if request.remove:
                await provider.unlike(request.remove)
            reply = _written(request)
        except RetriesExhausted:
            raise
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            reply = _written(request, refused=refused)
        await self.bus.publish(reply)


#: Candidates judged per track: an ISRC hit or the top of a search.
CANDIDATES_PER_TRACK = 5
#: Look-ups of one batch in flight at once (the rate limiter still paces them).
CONCURRENT_LOOKUPS = 8


async def _candidates(provider: Provider, track: Track) -> tuple[Track, ...]:
    """The recording by its ISRC when the catalog knows it (one call), else a search."""
    if track.isrc:
        try:
            found = await provider.lookup_isrc(track.isrc)
        except NotSupported:
            found = []
        if found:
            return tuple(found[:CANDIDATES_PER_TRACK])
    return tuple(await provider.search(track, CANDIDATES_PER_TRACK))
