"""Bus edge of the downloader: the download queue.

JetStream holds the queue, so it survives restarts; the record in the ``downloads`` bucket
says where each download stands and is where a cancel is asked for. A download already
finished is not done again on redelivery: its end is announced again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from services.downloader.adapters.fetcher import Cancelled, Progress
from services.downloader.adapters.pipeline import (
    Cover,
    Rank,
    Search,
    download_one,
)
from services.downloader.adapters.sources import AudioSource, YtDlpSource
from services.downloader.api.albums import StoredAlbumFolders
from services.downloader.api.requests import record_of
from services.downloader.domain.paths import DEFAULT_LAYOUT, Layout
from services.downloader.domain.planning import plan
from services.downloader.domain.quality import QualityProfile, profile_from
from services.downloader.domain.sources import Source
from services.downloader.records import AudioSearchRecord, audio_search_key
from services.kernel.aio import cancelled
from services.kernel.bus import Bus, DeadLetter
from services.kernel.contracts import (
    DownloadFinished,
    DownloadProgressed,
    DownloadRequested,
    reply_to,
    utcnow,
)
from services.kernel.library import inside
from services.kernel.records import DownloadRecord, download_key
from services.kernel.store import Store

FINISHED = ("done", "already_there", "review", "failed", "cancelled")
#: Progress events at most this often (seconds), so a fast download is not a flood.
PROGRESS_EVERY_S = 1.0
CANCEL_POLL_S = 0.25
#: What a person reads on a download the bus gave up on (the cause stays in the logs).
#: Why a download was refused when its folder is outside the users' library roots.
OUTSIDE_ROOTS = (
    "downloads are kept outside the users' library: an administrator puts "
    "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR (and __DOWNLOADS_DIR) inside TUNEBRIDGE_LIBRARY__ROOTS"
)
GIVEN_UP = "it could not be handled after several tries: try it again, or cancel it"
#: Why a download of a search result chosen by a person was not made.
PICK_GONE = (
    "the search result picked for it is no longer kept: search again and pick it, or try it"
    " again with a search of your own"
)
#: A try's source and transfer, before anything is found.
NO_SOURCE_YET: dict[str, Any] = {
    "source": None,
    "source_url": None,
    "downloaded_bytes": None,
    "size_bytes": None,
    "speed_bps": None,
}


class _DownloadRef(msgspec.Struct):
    """The few fields of a ``DownloadRequested`` a dead letter's reader needs (msgspec
    skips the rest, however large)."""

    user_id: str
    download_id: str
    event_id: str = ""


class DownloadQueue:
    """Handles ``downloads.requested``."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        library: Path,
        search: Search,
        rank: Rank,
        threshold: float,
        cover: Callable[[DownloadRequested], Awaitable[bytes | None]] | None = None,
        layout: Layout = DEFAULT_LAYOUT,
        audio_format: str = "opus",
        downloads: Path | None = None,
        on_finished: Callable[[str, str], Awaitable[None]] | None = None,
        shared_roots: Sequence[str] | None = None,
        sources: Sequence[AudioSource] | None = None,
        profile: QualityProfile | None = None,
        copies: Path | None = None,
    ) -> None:
        """``shared_roots``: the library roots every user may reach; a download whose
        folder (the library, or the downloads folder for a plain one) is outside them is
        refused (None: not checked). ``sources``: the audio sources in the order they are
        tried (None: ``search`` through yt-dlp); ``profile``: the quality a download that
        names none is held to; ``copies``: where a profile's lossy copies go."""
        self.copies = copies
        self.shared_roots = shared_roots
        self.sources = sources
        self.profile = profile
        self.on_finished = on_finished  # (user id, run id): a playlist file may want it
        self.downloads = downloads or library.parent / "Downloads"
        self.layout = layout
        self.audio_format = audio_format
        self.bus = bus
        self.store = store
        self.library = library
        self.search = search
        self.rank = rank
        self.threshold = threshold
        self.cover = cover

    async def _picked(self, request: DownloadRequested) -> tuple[AudioSource, Source] | None:
        """The search result a person chose, and the source that fetches it (None: the
        search is no longer kept, or its source is no longer configured)."""
        assert request.pick is not None
        kept = await self.store.get(
            "audio_searches",
            audio_search_key(request.user_id, request.pick.search_id),
            AudioSearchRecord,
        )
        if kept is None or request.pick.index >= len(kept.results):
            return None
        source = kept.results[request.pick.index]
        plugins = list(self.sources) if self.sources is not None else [YtDlpSource(self.search)]
        plugin = next((p for p in plugins if p.name == source.origin), None)
        return (plugin, source) if plugin is not None else None

    async def _set(self, request: DownloadRequested, **changes: Any) -> DownloadRecord | None:
        def change(record: DownloadRecord) -> DownloadRecord:
            return msgspec.structs.replace(record, updated_at=utcnow(), **changes)

        return await self.store.update(
            "downloads", download_key(request.user_id, request.download_id), DownloadRecord, change
        )

    def _planned(self, request: DownloadRequested) -> DownloadRequested:
        """A request for a track not planned yet (a single track asked for directly) gets
        its search and its place in the library here, where the layout lives."""
        if request.item.target_path:
            return request
        (item,) = plan(
            (request.item.track,),
            (request.item.position,),
            request.audio_format or self.audio_format,
            self.layout,
        )
        return msgspec.structs.replace(request, item=item)

    async def __call__(self, request: DownloadRequested) -> None:
        request = self._planned(request)
        key = download_key(request.user_id, request.download_id)
        await self.store.create("downloads", key, record_of(request))  # unless it was
        record = await self.store.get("downloads", key, DownloadRecord)
        if record is not None and record.status in FINISHED:
            await self._announce(request, record)  # a redelivery: say it again, do nothing
            return
        if record is not None and record.cancel_requested:
            await self._finish(
                request,
                DownloadFinished(
                    **reply_to(request), download_id=request.download_id, status="cancelled"
                ),
            )
            return
        folder = self.downloads if request.plain else self.library
        if self.shared_roots is not None and not any(inside(folder, r) for r in self.shared_roots):
            # It would land where users cannot reach it: an administrator's setting to fix.
            await self._finish(
                request,
                DownloadFinished(
                    **reply_to(request),
                    download_id=request.download_id,
                    status="failed",
                    reason=OUTSIDE_ROOTS,
                ),
            )
            return
        picked = await self._picked(request) if request.pick else None
        if request.pick and picked is None:
            await self._finish(
                request,
                DownloadFinished(
                    **reply_to(request),
                    download_id=request.download_id,
                    status="failed",
                    reason=PICK_GONE,
                ),
            )
            return
        # An earlier delivery began this download (and stopped before saying how it ended).
        resumed = record is not None and record.status != "queued"
        # The gateway may have recorded it as queued before it was planned.
        started = await self._set(
            request,
            status="searching",
            target_path=request.item.target_path,
            **NO_SOURCE_YET,  # what an earlier try found is not this one's
        )
        await self._progressed(started)
        cancel = threading.Event()
        watcher = asyncio.create_task(self._watch_cancel(key, cancel))
        loop = asyncio.get_running_loop()
        last = [0.0]
        reports: list[concurrent.futures.Future[None]] = []

        def on_progress(progress: Progress) -> None:
            # Called from the download thread: hop to the loop, and not too often.
            if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                last[0] = time.monotonic()
                reports.append(
                    asyncio.run_coroutine_threadsafe(self._progress(request, progress), loop)
                )

        try:
            outcome = await download_one(
                request.item,
                self.library,
                self.search,
                self.rank,
                self.threshold,
                cover=self._cover_of(request),
                audio_format=request.audio_format,
                on_progress=on_progress,
                cancel=cancel,
                plain_into=self.downloads if request.plain else None,
                sources=self.sources,
                profile=self._profile_of(request),
                query=request.query,
                album=self._album_mode(request),
                # A profile's wait counts from when the download was first asked for.
                since=record.created_at.timestamp() if record else None,
                copies_into=self.copies,
                on_chosen=lambda source: self._chosen(request, source),
                picked=picked,
            )
            root = self.downloads if request.plain else self.library
            # What an earlier delivery of this very download filed was not "already there".
            status = "done" if resumed and outcome.status == "already_there" else outcome.status
            finished = DownloadFinished(
                **reply_to(request),
                download_id=request.download_id,
                status=status,
                path=str(outcome.path.relative_to(root)) if outcome.path else None,
                place="downloads" if request.plain else "library",
                source_url=outcome.source_url,
                confidence=outcome.confidence,
                reason=outcome.reason,
                candidates=outcome.candidates,
                miss=outcome.miss,
            )
        except Cancelled:
            finished = DownloadFinished(
                **reply_to(request), download_id=request.download_id, status="cancelled"
            )
        finally:
            await cancelled(watcher)  # a cancel lost in a store read must not hold the end
            # A progress report still on its way must not land after (and over) the end.
            for report in reports:
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(report)
        await self._finish(request, finished)

    async def message_dead(self, letter: DeadLetter) -> None:
        """A download request given up on ends ``failed`` (it can be retried or cancelled)
        instead of staying "searching" forever; other dead letters are not ours."""
        if letter.subject != self.bus.topology.subject(DownloadRequested):
            return
        data = await letter.payload()
        try:
            ref = msgspec.json.decode(data or b"", type=_DownloadRef)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return  # names no download: nothing to mark
        key = download_key(ref.user_id, ref.download_id)

        def failed(record: DownloadRecord) -> DownloadRecord | None:
            if record.status in FINISHED:
                return None  # it ended some other way meanwhile
            return msgspec.structs.replace(
                record,
                status="failed",
                reason=GIVEN_UP,
                percent=None,
                speed_bps=None,  # no longer on its way
                updated_at=utcnow(),
            )

        record = await self.store.update("downloads", key, DownloadRecord, failed)
        if record is None or record.status != "failed" or record.reason != GIVEN_UP:
            return
        await self.bus.publish(
            DownloadFinished(
                user_id=ref.user_id,
                event_id=f"{ref.event_id or letter.record.msg_id or ref.download_id}.done",
                download_id=ref.download_id,
                status="failed",
                reason=GIVEN_UP,
                # What it was when given up on, as recorded (for the live views).
                path=record.path,
                place=record.place,
                source_url=record.source_url,
                miss=record.miss,
            )
        )
        if self.on_finished:
            await self.on_finished(ref.user_id, ref.download_id.rsplit("-", 1)[0])

    def _album_mode(self, request: DownloadRequested) -> StoredAlbumFolders | None:
        """The run's album folders (kept in the store: a restart keeps to them), when this
        download is in album mode."""
        if not request.album_folder:
            return None
        run_id = request.download_id.rsplit("-", 1)[0]
        return StoredAlbumFolders(self.store, request.user_id, run_id)

    def _profile_of(self, request: DownloadRequested) -> QualityProfile | None:
        """The request's own profile (checked by the gateway when it was saved), else ours."""
        spec = request.profile
        if spec is None:
            return self.profile
        try:
            return profile_from(
                spec.name, spec.targets, spec.accept_lower, spec.lower_after_s, spec.lossy_copy
            )
        except ValueError:
            return self.profile

    def _cover_of(self, request: DownloadRequested) -> Cover | None:
        """The release's cover, fetched when the pipeline asks (a plain download has none)."""
        cover = self.cover
        if cover is None or request.plain:
            return None

        async def fetch() -> bytes | None:
            return await cover(request)

        return fetch

    async def _watch_cancel(self, key: str, cancel: threading.Event) -> None:
        while not cancel.is_set():
            record = await self.store.get("downloads", key, DownloadRecord)
            if record is not None and record.cancel_requested:
                cancel.set()
            await asyncio.sleep(CANCEL_POLL_S)

    async def _while_on_its_way(self, request: DownloadRequested, **changes: Any) -> None:
        """Record ``changes`` unless the download has ended (or was cancelled) meanwhile,
        and tell the live views: a late report never overwrites its end."""

        def change(record: DownloadRecord) -> DownloadRecord | None:
            if record.status not in ("searching", "downloading"):
                return None
            return msgspec.structs.replace(record, updated_at=utcnow(), **changes)

        record, changed = await self.store.change(
            "downloads", download_key(request.user_id, request.download_id), DownloadRecord, change
        )
        if changed:
            await self._progressed(record)

    async def _chosen(self, request: DownloadRequested, source: Source) -> None:
        """The source is known as soon as it is chosen, before its file comes."""
        await self._while_on_its_way(request, source=source.origin, source_url=source.url)

    async def _progress(self, request: DownloadRequested, progress: Progress) -> None:
        await self._while_on_its_way(
            request,
            status="downloading",
            percent=progress.percent,
            downloaded_bytes=progress.downloaded_bytes,
            size_bytes=progress.total_bytes,
            speed_bps=progress.speed_bps,
        )

    async def _progressed(self, record: DownloadRecord | None) -> None:
        """Where a download on its way stands, as just stored: what live views show."""
        if record is None or record.status not in ("searching", "downloading"):
            return
        await self.bus.publish(
            DownloadProgressed(
                user_id=record.user_id,
                download_id=record.download_id,
                phase=record.status,
                percent=record.percent,
                downloaded_bytes=record.downloaded_bytes or 0,
                speed_bps=record.speed_bps,
                size_bytes=record.size_bytes,
                source=record.source,
                source_url=record.source_url,
            )
        )

    async def _finish(self, request: DownloadRequested, finished: DownloadFinished) -> None:
        await self._set(request, **finished.ended())
        await self.bus.publish(finished)
        if self.on_finished:
            await self.on_finished(request.user_id, request.download_id.rsplit("-", 1)[0])

    async def _announce(self, request: DownloadRequested, record: DownloadRecord) -> None:
        await self.bus.publish(
            DownloadFinished(
                **reply_to(request),
                download_id=request.download_id,
                status=record.status,  # type: ignore[arg-type]
                path=record.path,
                place=record.place,
                source_url=record.source_url,
                reason=record.reason,
                miss=record.miss,
            )
        )
