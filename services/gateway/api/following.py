"""What the pages follow live, one event stream per page: the download queue, and the
missing-tracks runs a person started from the web UI (their modal and its bubble).

A run started from the UI carries a small ticket beside its uploaded playlist (the
playlist's name, and how its missing tracks are to be downloaded), so any browser of the
same person finds the run, shows its bubble, and carries it on the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent

from services.gateway.api.dependencies import Gateway
from services.gateway.api.downloads import (
    DOWNLOAD_EVENTS,
    FINISHED,
    DownloadView,
    _view,
    folded_into,
)
from services.gateway.api.live import follow
from services.gateway.api.runs import MissingTicket, RunId, read_run, read_ticket
from services.gateway.domain.reports import RunView
from services.kernel.contracts import Event, RunCompleted, RunProgressed, utcnow
from services.kernel.records import DownloadRecord, RunRecord, run_key

#: Runs older than this no longer bring their bubble back.
RECENT = timedelta(days=2)
#: How many of a person's recent UI runs are listed.
LISTED = 5


class MissingRun(msgspec.Struct, kw_only=True):
    """A missing-tracks run started from the web UI, as its modal shows it: the run (its
    counts and first page of tracks), and the downloads of its missing tracks so far.
    ``active``: the check or the downloads still go on (or wait to be queued)."""

    run_id: str
    name: str
    album_mode: str
    profile: str | None
    active: bool
    #: Album mode ``lidarr``: the Lidarr connection whole albums are handed to.
    lidarr_connection_id: str | None = None
    run: RunView
    downloads: list[DownloadView]


def _active(run: RunView, downloads: list[DownloadView]) -> bool:
    if run.status == "failed":
        return False
    if run.status != "completed":
        return True
    missing = run.summary.missing if run.summary else 0
    if not missing:
        return False
    return len(downloads) < missing or any(d.status not in FINISHED for d in downloads)


async def _missing_run(
    gateway: Gateway, user_id: str, run_id: str, ticket: MissingTicket
) -> MissingRun | None:
    run = await read_run(gateway, user_id, run_id)
    if run is None:
        return None
    records = await gateway.ctx.store.values("downloads", f"{user_id}.{run_id}-*", DownloadRecord)
    downloads = [_view(r) for r in sorted(records, key=lambda r: _position(r.download_id))]
    return MissingRun(
        run_id=run_id,
        name=ticket.name,
        album_mode=ticket.album_mode,
        profile=ticket.profile,
        lidarr_connection_id=ticket.lidarr_connection_id,
        active=_active(run, downloads),
        run=run,
        downloads=downloads,
    )


def _position(download_id: str) -> int:
    return int(download_id.rsplit("-", 1)[1])


class FollowingController(Controller):
    """Live views for the pages."""

    path = "/api/v1"
    tags = ["runs", "downloads"]

    @get("/runs", summary="Your recent missing-tracks runs started from the web UI")
    async def list_missing_runs(
        self, gateway: NamedDependency[Gateway], active: Annotated[bool, QueryParameter()] = False
    ) -> list[MissingRun]:
        """Newest first, at most five of the last two days; ``active``: only those whose
        check or downloads still go on."""
        user_id = gateway.current_user()
        since = utcnow() - RECENT
        runs = await gateway.ctx.store.values("runs", f"{user_id}.*", RunRecord)
        found: list[MissingRun] = []
        for record in sorted(runs, key=lambda r: r.created_at, reverse=True):
            if record.created_at < since or len(found) >= LISTED:
                break
            ticket = await read_ticket(gateway, user_id, record.run_id)
            if ticket is None:
                continue  # not started from the web UI: no bubble of its own
            view = await _missing_run(gateway, user_id, record.run_id, ticket)
            if view is not None and (view.active or not active):
                found.append(view)
        return found

    @get(
        "/runs/{run_id:str}/live",
        summary="Follow a missing-tracks run and its downloads (Server-Sent Events)",
    )
    async def follow_missing_run(
        self, gateway: NamedDependency[Gateway], run_id: RunId
    ) -> ServerSentEvent:
        """``update`` with each change of the run or its downloads, ``end`` once the check
        and every download of it have ended."""
        user_id = gateway.current_user()
        if await gateway.ctx.store.get("runs", run_key(user_id, run_id), RunRecord) is None:
            raise NotFoundException(f"no run {run_id}")
        ticket = await read_ticket(gateway, user_id, run_id) or MissingTicket(name="")

        async def read() -> MissingRun | None:
            return await _missing_run(gateway, user_id, run_id, ticket)

        def wants(event: Event) -> bool:
            if isinstance(event, RunProgressed):
                return event.kind == "missing" and event.run_id == run_id
            if isinstance(event, RunCompleted):
                return event.run_id == run_id
            return isinstance(event, DOWNLOAD_EVENTS) and event.download_id.startswith(f"{run_id}-")

        def fold(view: MissingRun, event: Event) -> MissingRun | None:
            downloads = folded_into(view.downloads, event)  # the run's own: read again
            if downloads is None:
                return None
            active = _active(view.run, downloads)
            return msgspec.structs.replace(view, downloads=downloads, active=active)

        return follow(gateway.events, user_id, wants, read, lambda view: not view.active, fold)

    @get("/downloads/events", summary="Follow your downloads (Server-Sent Events)")
    async def follow_downloads(self, gateway: NamedDependency[Gateway]) -> ServerSentEvent:
        """The list of ``/downloads`` (newest first) each time it changes, until none is
        waiting or on its way (the page follows again when it queues another)."""
        user_id = gateway.current_user()

        async def read() -> list[DownloadView]:
            records = await gateway.ctx.store.values("downloads", f"{user_id}.*", DownloadRecord)
            return [_view(r) for r in sorted(records, key=lambda r: r.created_at, reverse=True)]

        def wants(event: Event) -> bool:
            return isinstance(event, DOWNLOAD_EVENTS)

        return follow(
            gateway.events,
            user_id,
            wants,
            read,
            lambda views: all(v.status in FINISHED for v in views),
            folded_into,
        )
