"""Bus edge of the connectors: per-provider work queues for reading and writing accounts.

A failure the user must act on (a spent quota, a refused consent, something the provider
cannot do) is answered with the reason; transient trouble that outlasted the HTTP layer's
retries is left to the bus's redelivery with back-off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

import msgspec

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.factory import ProviderFactory, UnknownProvider
from services.connectors.adapters.http import ProviderError, RetriesExhausted
from services.connectors.adapters.lidarr import HandOff, LidarrProvider
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    NotSupported,
    PlaylistInfo,
    Provider,
    Unreadable,
    WriteLimits,
    explain,
)
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.domain.operations import WriteProgress, resume_point
from services.connectors.domain.providers import Capability, removal_refusal
from services.connectors.domain.search import (
    SEARCH_RESULTS,
    merged,
    namesakes,
    query_variants,
)
from services.connectors.registry import REGISTRY
from services.kernel.aio import gather_bounded
from services.kernel.bus import Bus
from services.kernel.contracts import (
    AlbumHandoffProgressed,
    AlbumHandoffRequested,
    CandidatesFound,
    CandidatesRequested,
    Collection,
    CollectionKind,
    MediaScanned,
    MediaScanRequested,
    PlaylistRef,
    ProviderRead,
    ProviderReadRequested,
    ProviderWriteRequested,
    ProviderWritten,
    RankItem,
    RankRequested,
    Track,
    reply_to,
)
from services.kernel.records import ConnectionRecord
from services.kernel.store import Store, save_collection

log = logging.getLogger("tunebridge.connectors.work")


class _Refused(Exception):
    """A failure to report to the user, not to retry."""

    def __init__(
        self, message: str, reauthorise: bool = False, unconfirmed: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.reauthorise = reauthorise
        self.unconfirmed = tuple(unconfirmed)


# What a read's snapshot holds: liked songs and recent plays are both "liked" lists.
_KINDS: dict[str, CollectionKind] = {
    "playlist": "playlist",
    "library": "library",
    "albums": "albums",
    "artists": "artists",
}


async def _create_once(provider: Provider, name: str) -> PlaylistInfo:
    """A new playlist called ``name``. Making one is not repeated blindly (it would make
    two); when its answer is lost (a server error, a timeout), the playlist it may have
    made is looked for and taken: found by an audit, an orphan left by a lost answer
    blocked the job (a playlist of that name already there) until a person stepped in.
    The sync asks for a name no playlist of the person's has, so one of that name that
    is empty now is the one just made."""
    try:
        return await provider.create_playlist(name)
    except ProviderError as error:
        if error.verdict.outcome not in ("server_error", "timeout"):
            raise
        made = [p async for p in provider.playlists() if p.name == name and not p.track_count]
        if not made:
            raise
        return made[-1]


async def _confirm_added(provider: Provider, playlist_id: str, added: Sequence[str]) -> None:
    """The playlist, read back, ends with what was added: a provider may answer a write
    as done and keep less of it (found by an audit: counted as written, a both-ways sync
    then took the tracks that never landed for removed, and removed them on the other
    side). Raises ``_Refused`` naming the tracks it does not hold."""
    try:
        there = set(await provider.playlist_tail(playlist_id, len(added)))
    except NotSupported:
        return  # a provider whose playlist cannot be read back: its answer is all we have
    missing = [track for track in added if track not in there]
    if missing:
        shown = provider.shown
        raise _Refused(
            f"{shown} answered that it added them, but the playlist read back does not hold "
            f"{len(missing)} of the {len(added)}",
            unconfirmed=missing,
        )


def _written(
    request: ProviderWriteRequested,
    playlist_id: str | None = None,
    refused: _Refused | None = None,
    notes: tuple[str, ...] = (),
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
            notes=notes,
            unconfirmed=refused.unconfirmed,
        )
    return ProviderWritten(
        **reply_to(request),
        request_id=request.request_id,
        connection_id=request.connection_id,
        provider=request.provider,
        playlist_id=playlist_id,
        added=len(request.add),
        removed=len(request.remove),
        notes=notes,
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
        self.limits = WriteLimits(store)

    async def _provider(
        self, user_id: str, connection_id: str
    ) -> tuple[ConnectionRecord, Provider]:
        record = await self.accounts.get(user_id, connection_id)
        if record is None:
            raise _Refused("no such connection")
        if record.status == "needs_reauthorisation":
            raise _Refused(record.message or "the connection needs re-authorisation", True)
        try:
            provider = self.factory.for_connection(record)
        except UnknownProvider:
            raise _Refused(f"no connector for {record.provider}") from None
        provider.limits = self.limits  # what one write learned, every later one knows
        return record, provider

    async def _refusal(self, user_id: str, connection_id: str, error: Exception) -> _Refused:
        if isinstance(error, NeedsReauthorisation):
            await self.accounts.needs_reauthorisation(user_id, connection_id, str(error))
            return _Refused(str(error), True)
        if isinstance(error, _Refused):
            return error
        if isinstance(error, ProviderError):
            return _Refused(explain(_shown(error.provider), error))
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
                spec = REGISTRY.get(request.provider)
                refusal = removal_refusal(spec.info, request.collection) if spec else None
                if refusal:  # the planner must know before it plans a removal
                    snapshot = msgspec.structs.replace(snapshot, removals_refused=refusal)
                reply = ProviderRead(
                    **reply_to(request),
                    request_id=request.request_id,
                    connection_id=request.connection_id,
                    provider=request.provider,
                    snapshot=snapshot,
                )
        except RetriesExhausted:
            raise  # transient: the bus redelivers with back-off
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported, Unreadable) as error:
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
        if request.collection == "albums":
            return _records(provider.saved_albums())
        if request.collection == "artists":
            return _records(provider.followed_artists())
        return provider.liked_tracks()

    async def candidates(self, request: CandidatesRequested) -> None:
        """Each track's likely equivalents in the catalog, sent to the matcher to judge
        (its verdict goes to the asker: the correlation is the request's); a search that
        fails is told to the asker."""
        reply: CandidatesFound | RankRequested
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            await provider.prefetch_isrcs([t.isrc for t in request.tracks if t.isrc])
            sources = _Sources(self, request.user_id)
            items = await gather_bounded(
                [
                    _told_apart(provider, sources, track)
                    if track.entity == "artist"
                    else _item(provider, track)
                    for track in request.tracks
                ],
                CONCURRENT_LOOKUPS,
            )
            reply = RankRequested(
                **reply_to(request), request_id=request.request_id, items=tuple(items)
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
        if request.collection in ("liked", "albums", "artists"):
            await self._write_liked(request)
            return
        key = f"{request.user_id}.{request.request_id}"
        progress = await self.store.get("operations", key, WriteProgress)
        if progress and progress.reply:
            await self.bus.publish(progress.reply)  # answered before: say it again, do nothing
            return
        seen_before = progress is not None
        progress = progress or WriteProgress(playlist_id=request.playlist_id)
        provider: Provider | None = None
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            if progress.playlist_id is None:
                if not request.create_name:
                    raise _Refused("a write needs playlist_id or create_name")
                created = await _create_once(provider, request.create_name)
                progress.playlist_id = created.playlist_id
                await self.store.put("operations", key, progress)
            if request.add:
                playlist_id = progress.playlist_id
                start = progress.added
                if seen_before and progress.started_adding:
                    # The last delivery died while appending: what landed is at the end.
                    tail = await provider.playlist_tail(playlist_id, len(request.add))
                    start = resume_point(tail, request.add, progress.added)
                progress.started_adding, progress.added = True, start
                await self.store.put("operations", key, progress)

                async def sent(count: int) -> None:
                    progress.added = start + count
                    await self.store.put("operations", key, progress)

                if start < len(request.add):
                    await provider.add_items(playlist_id, request.add[start:], sent)
                await _confirm_added(provider, playlist_id, request.add)
            if request.remove:
                await provider.remove_items(progress.playlist_id, request.remove)
            if request.order:  # a whole order: putting it again changes nothing
                try:
                    await provider.reorder(progress.playlist_id, request.order)
                except ValueError:  # it holds other tracks than planned by now
                    provider.notes.append(
                        "The playlist changed while it was written: its order was left as it is"
                    )
            reply = _written(request, progress.playlist_id, notes=tuple(provider.notes))
        except RetriesExhausted:
            raise
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            notes = tuple(provider.notes) if provider is not None else ()
            reply = _written(request, progress.playlist_id, refused, notes)
        progress.reply = reply
        await self.store.put("operations", key, progress)
        await self.bus.publish(reply)

    async def media_scan(self, request: MediaScanRequested) -> None:
        """Have each of the user's media servers scan its folders, all at once, and answer
        when every scan has ended (a server that cannot is named in the notes)."""
        servers: list[tuple[ConnectionRecord, Provider]] = []
        for record in await self.accounts.list(request.user_id):
            spec = REGISTRY.get(record.provider)
            if spec is None or Capability.SCAN_LIBRARY not in spec.info.capabilities:
                continue
            if record.status == "needs_reauthorisation":
                continue
            try:
                servers.append((record, self.factory.for_connection(record)))
            except UnknownProvider:
                continue

        async def scan(record: ConnectionRecord, provider: Provider) -> str | None:
            shown = REGISTRY[record.provider].info.display_name
            try:
                if await provider.rescan(within_s=MEDIA_SCAN_WITHIN_S):
                    return None
                return f"{shown} was still scanning after {MEDIA_SCAN_WITHIN_S // 60:.0f} minutes"
            except NotSupported:
                return f"{shown} cannot be asked to scan"
            except ProviderError as error:
                return _scan_refusal(shown, error.verdict.outcome)

        said = await asyncio.gather(*(scan(record, provider) for record, provider in servers))
        await self.bus.publish(
            MediaScanned(
                **reply_to(request),
                scan_id=request.scan_id,
                servers=tuple(record.connection_id for record, _ in servers),
                notes=tuple(note for note in said if note),
            )
        )

    async def hand_album(self, request: AlbumHandoffRequested) -> None:
        """Hand a whole album to Lidarr: added monitored and searched (``searching`` said
        then), followed until imported; how it ended said in a person's words. A
        redelivery hands it again: Lidarr has it by then, so it is monitored and searched,
        not added twice."""

        async def said(handed: HandOff) -> None:
            await self.bus.publish(
                AlbumHandoffProgressed(
                    user_id=request.user_id,
                    event_id=f"{request.event_id}.{handed.status}",
                    correlation=request.correlation,
                    request_id=request.request_id,
                    connection_id=request.connection_id,
                    provider=request.provider,
                    download_ids=request.download_ids,
                    status=handed.status,
                    reason=handed.reason,
                    album_id=handed.album_id,
                )
            )

        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            if not isinstance(provider, LidarrProvider):  # the one service that takes albums
                raise _Refused(f"{request.provider} does not take whole albums")
            handed = await provider.hand_album(
                request.artist,
                request.album,
                request.quality_profile,
                request.metadata_profile,
                request.root_folder,
                request.monitor,
            )
            if handed.status == "searching":
                await said(handed)
                handed = await provider.follow(handed)
        except (ProviderError, _Refused) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            handed = HandOff(0, None, "failed", str(refused))
        await said(handed)

    async def _write_liked(self, request: ProviderWriteRequested) -> None:
        """Like and unlike tracks, save and unsave albums, follow and unfollow artists:
        each is idempotent at the provider, so a redelivery simply does it again."""
        try:
            _, provider = await self._provider(request.user_id, request.connection_id)
            add, remove = {
                "albums": (provider.save_albums, provider.unsave_albums),
                "artists": (provider.follow_artists, provider.unfollow_artists),
            }.get(request.collection, (provider.like, provider.unlike))
            if request.add:
                await add(request.add)
            if request.remove:
                await remove(request.remove)
            reply = _written(request)
        except RetriesExhausted:
            raise
        except (_Refused, NeedsReauthorisation, ProviderError, NotSupported) as error:
            refused = await self._refusal(request.user_id, request.connection_id, error)
            reply = _written(request, refused=refused)
        await self.bus.publish(reply)


#: How long one media server's scan is waited for (seconds).
MEDIA_SCAN_WITHIN_S = 600.0
#: Candidates judged per track when its ISRC is found (a recording has few releases).
ISRC_CANDIDATES = 5
#: Look-ups of one batch in flight at once (the rate limiter still paces them).
CONCURRENT_LOOKUPS = 8


def _shown(provider: str) -> str:
    """A provider's name as people know it."""
    spec = REGISTRY.get(provider)
    return spec.info.display_name if spec else provider.title()


def _scan_refusal(shown: str, outcome: str) -> str:
    """Why a media server did not scan, in a person's words (never its body)."""
    if outcome == "forbidden":
        return f"{shown} lets only an administrator start a scan; scan it there yourself"
    if outcome == "unauthorized":
        return f"{shown} refused the connection's token; connect it again"
    return f"{shown} could not be asked to scan (it may be down); scan it there yourself"


async def _records(items: AsyncIterator[AlbumInfo | ArtistInfo]) -> AsyncIterator[Track]:
    """Saved albums or followed artists as the records a collection holds."""
    async for item in items:
        yield item.record()


class _Sources:
    """The user's connections to the services artists come from, opened once a request:
    where a source artist's albums are read when its namesakes need telling apart."""

    def __init__(self, work: ProviderWork, user_id: str) -> None:
        self.work = work
        self.user_id = user_id
        self._opened: dict[str, asyncio.Task[Provider | None]] = {}

    async def _open(self, provider: str) -> Provider | None:
        # Only the user's one connection to it: a media server's ids are its own, so with
        # two an artist's id could name another artist on the other one.
        usable = [
            record
            for record in await self.work.accounts.list(self.user_id)
            if record.provider == provider and record.status != "needs_reauthorisation"
        ]
        if len(usable) != 1:
            return None
        try:
            opened = self.work.factory.for_connection(usable[0])
        except UnknownProvider:
            return None
        opened.limits = self.work.limits
        return opened

    async def of(self, provider: str) -> Provider | None:
        if provider not in self._opened:
            self._opened[provider] = asyncio.ensure_future(self._open(provider))
        return await self._opened[provider]


async def _albums_of(provider: Provider | None, artist: Track) -> Track:
    """``artist`` with a few of its albums, as ``provider`` lists them; as it was when
    they cannot be read (then its namesakes stay a question for a person)."""
    if provider is None:
        return artist
    try:
        return await provider.artist_albums(artist)
    except ProviderError as error:
        log.info("an artist's albums could not be read: %s", explain(_shown(error.provider), error))
        return artist
    except (NeedsReauthorisation, NotSupported):
        log.info("an artist's albums could not be read on %s", provider.name)
        return artist


async def _told_apart(provider: Provider, sources: _Sources, artist: Track) -> RankItem:
    """An artist's candidates; where two or more share its name, each of those (a few)
    with its albums, and the source artist with its own (read on its service), so the
    matcher can tell them apart. The common case, one of that name, reads nothing more."""
    found = await _candidates(provider, artist)
    alike = namesakes(artist, found)
    if not alike or not artist.provider:
        return RankItem(track=artist, candidates=found)
    source = await _albums_of(await sources.of(artist.provider), artist)
    if not source.albums:  # nothing to tell them apart by: theirs are not read
        return RankItem(track=artist, candidates=found)
    read = await asyncio.gather(*(_albums_of(provider, found[i]) for i in alike))
    told = list(found)
    for index, candidate in zip(alike, read, strict=True):
        told[index] = candidate
    return RankItem(track=source, candidates=tuple(told))


async def _item(provider: Provider, track: Track) -> RankItem:
    return RankItem(track=track, candidates=await _candidates(provider, track))


async def _candidates(provider: Provider, track: Track) -> tuple[Track, ...]:
    """The recording by its ISRC when the catalog knows it (one call), else searches:
    title and artist, the bare title, then the artist alone while too few were found.
    An album: the catalog's album of its UPC, else albums found by title and artist; an
    artist: the artists found by name."""
    if track.entity in ("album", "artist"):
        return tuple(await provider.search_releases(track, SEARCH_RESULTS))
    if track.isrc:
        try:
            found = await provider.lookup_isrc(track.isrc)
        except NotSupported:
            found = []
        if found:
            return tuple(found[:ISRC_CANDIDATES])
    results: list[list[Track]] = []
    for number, variant in enumerate(query_variants(track)):
        if number and len(merged(results)) >= SEARCH_RESULTS and not variant.title:
            break  # the artist-wide query only widens a search that found too little
        results.append(await provider.search(variant, SEARCH_RESULTS))
    return tuple(merged(results))
