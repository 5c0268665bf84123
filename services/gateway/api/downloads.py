"""Downloads: queue a run's missing tracks, follow them, cancel one."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import JSONBody, Parameter

from services.gateway.api.dependencies import Gateway
from services.gateway.api.runs import RunId
from services.kernel.contracts import DownloadRequested
from services.kernel.records import BatchRecord, DownloadRecord, RunRecord, run_key

DownloadId = Annotated[
    str, Parameter(pattern=r"^[0-9a-f]{32}-\d{1,6}$", description="A download id")
]
FORMATS = ("mp3", "ogg", "flac", "opus", "m4a")


class QueueDownloads(msgspec.Struct, kw_only=True):
    """Options for the downloads of a run's missing tracks."""

    audio_format: str | None = None


class QueuedDownloads(msgspec.Struct, kw_only=True):
    """The downloads queued (queuing the same run again queues nothing new)."""

    download_ids: list[str]


class DownloadView(msgspec.Struct, kw_only=True):
    """A download as a person follows it."""

    download_id: str
    title: str
    target_path: str
    status: str
    percent: float | None
    path: str | None
    reason: str | None


def _view(record: DownloadRecord) -> DownloadView:
    return DownloadView(
        download_id=record.download_id,
        title=record.title,
        target_path=record.target_path,
        status=record.status,
        percent=record.percent,
        path=record.path,
        reason=record.reason,
    )


class DownloadsController(Controller):
    """The download queue."""

    path = "/api/v1"
    tags = ["downloads"]

    @post(
        "/runs/{run_id:str}/downloads",
        status_code=202,
        summary="Queue the downloads of a run's missing tracks",
    )
    async def queue(
        self,
        gateway: NamedDependency[Gateway],
        run_id: RunId,
        data: JSONBody[QueueDownloads | None] = None,
    ) -> QueuedDownloads:
        options = data or QueueDownloads()
        if options.audio_format is not None and options.audio_format not in FORMATS:
            raise ClientException(f"audio_format must be one of {', '.join(FORMATS)}")
        user_id = gateway.current_user()
        store = gateway.ctx.store
        run = await store.get("runs", run_key(user_id, run_id), RunRecord)
        if run is None:
            raise NotFoundException(f"no run {run_id}")
        if run.status != "completed":
            raise ClientException(
                f"the run is {run.status}; downloads need a completed run", status_code=409
            )
        ids = []
        for batch in await store.values("results", f"{run_key(user_id, run_id)}.*", BatchRecord):
            for item in batch.plan or []:
                download_id = f"{run_id}-{item.position}"
                # The id is the event id too: queuing a run twice stores each request once.
                await gateway.ctx.bus.publish(
                    DownloadRequested(
                        user_id=user_id,
                        event_id=download_id,
                        download_id=download_id,
                        item=item,
                        audio_format=options.audio_format,
                    )
                )
                ids.append(download_id)
        return QueuedDownloads(download_ids=sorted(ids, key=lambda d: int(d.rsplit("-", 1)[1])))

    @get("/downloads", summary="Downloads, newest first")
    async def list_downloads(self, gateway: NamedDependency[Gateway]) -> list[DownloadView]:
        records = await gateway.ctx.store.values(
            "downloads", f"{gateway.current_user()}.*", DownloadRecord
        )
        return [_view(r) for r in sorted(records, key=lambda r: r.created_at, reverse=True)]

    @get("/downloads/{download_id:str}", summary="One download")
    async def get_download(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> DownloadView:
        record = await gateway.ctx.store.get(
            "downloads", f"{gateway.current_user()}.{download_id}", DownloadRecord
        )
        if record is None:
            raise NotFoundException(f"no download {download_id}")
        return _view(record)

    @post("/downloads/{download_id:str}/cancel", status_code=202, summary="Cancel a download")
    async def cancel(
        self, gateway: NamedDependency[Gateway], download_id: DownloadId
    ) -> Response[DownloadView]:
        changed = await gateway.ctx.store.update(
            "downloads",
            f"{gateway.current_user()}.{download_id}",
            DownloadRecord,
            lambda r: (
                None if r.cancel_requested else msgspec.structs.replace(r, cancel_requested=True)
            ),
        )
        if changed is None:
            raise NotFoundException(f"no download {download_id}")
        return Response(_view(changed), status_code=202)
