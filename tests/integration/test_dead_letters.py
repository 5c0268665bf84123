"""Whatever is given up on ends with a reason instead of waiting forever: a run whose step
was dead-lettered fails; a download whose request was (however large, or broken) fails,
and can be retried or cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
import msgspec
import pytest

from services.downloader.api.downloads import GIVEN_UP
from services.downloader.domain.sources import Source
from services.kernel.bus import jetstream
from services.kernel.contracts import (
    DownloadRequested,
    MatchBatchRequested,
    PlannedDownload,
    SnapshotRef,
    Track,
    new_id,
    utcnow,
)
from services.kernel.records import DownloadRecord, RunRecord, download_key, run_key
from services.scheduler.domain import runs
from services.scheduler.domain.runs import new_run, run_of
from tests.support.installation import Installation, running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(60)


async def test_a_dead_lettered_step_fails_its_run_with_the_step_named(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    scheduler = installation.runtimes["scheduler"].context
    run_id, user = new_id(), installation.user_id
    await scheduler.store.put(
        "runs", run_key(user, run_id), new_run(run_id, user, "/music", utcnow())
    )
    # The library snapshot this batch points at has expired: the matcher cannot ever do it.
    await scheduler.bus.publish(
        MatchBatchRequested(
            user_id=user,
            correlation=runs.ask(run_id, "match", 0),
            run_id=run_id,
            batch_index=0,
            first_position=0,
            tracks=(Track(title="Teardrop"),),
            library=SnapshotRef(snapshot_id="local.gone", track_count=1, checksum="x"),
        )
    )
    run = await wait_for_run(api, run_id)
    assert run["status"] == "failed"
    assert run["error"].startswith("matching the tracks was given up on after several tries")
    assert "batch" not in run["error"]  # in a person's words, not the message's name
    stored = await scheduler.store.get("runs", run_key(user, run_id), RunRecord)
    assert stored is not None and stored.finished_at is not None


def test_only_run_messages_with_safe_ids_are_taken_as_runs() -> None:
    """The upgrade fallback: a run's message sent before requests carried a correlation."""
    assert run_of(
        b'{"type": "matching.batch_requested", "user_id": "local", "run_id": "ab12"}'
    ) == (
        "local",
        "ab12",
        "match",
    )
    assert run_of(b'{"user_id": "local", "run_id": "../../etc"}') is None
    assert run_of(b'{"user_id": "local"}') is None
    assert run_of(b"not json") is None
    assert run_of(b"[1, 2]") is None


class SourceDown:
    """YouTube's stand-in, unreachable: every download of this installation fails."""

    async def __call__(self, query: str) -> Sequence[Source]:
        raise ConnectionError("the source is down")


@pytest.fixture
async def broken_source_api(
    nats_url: str, namespace: str
) -> AsyncIterator[tuple[Installation, httpx.AsyncClient]]:
    async with (
        running_installation(nats_url, namespace, search=SourceDown()) as installation,
        installation.client(timeout=10) as client,
    ):
        yield installation, client


async def wait_for_download(
    api: httpx.AsyncClient, download_id: str, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    view: dict[str, Any] = {}
    # Asked every 0.3 s, not faster: each answer reads the whole (here 7 MiB) record.
    for _ in range(150):
        view = (await api.get(f"/api/v1/downloads/{download_id}")).json()
        if done(view):
            return view
        await asyncio.sleep(0.3)
    raise AssertionError(f"the download did not get there: {view}")


async def queued(installation: Installation, item: PlannedDownload) -> str:
    """A download recorded as the gateway records one, its request not yet published."""
    download_id = f"{new_id()}-0"
    await installation.store.create(
        "downloads",
        download_key(installation.user_id, download_id),
        DownloadRecord(
            download_id=download_id,
            user_id=installation.user_id,
            title=item.track.title,
            target_path=item.target_path,
            item=item,
        ),
    )
    return download_id


HUGE_ALBUM = PlannedDownload(
    position=0,
    track=Track(title="Teardrop", artists=("Massive Attack",), album="x" * (7 << 20)),
    search_query="Massive Attack Teardrop",
    target_path="Massive Attack/Mezzanine/Teardrop.opus",
)


@pytest.mark.timeout(120)  # every delivery and record of it carries the 7 MiB, twice over
async def test_a_7_mib_download_given_up_on_fails_and_can_be_retried_and_cancelled(
    broken_source_api: tuple[Installation, httpx.AsyncClient],
) -> None:
    """It used to stay "searching" for ever: too large to be copied into a dead letter, it
    was never given up on, and so could neither be retried nor cancelled."""
    installation, api = broken_source_api
    download_id = await queued(installation, HUGE_ALBUM)
    bus = installation.bus
    await bus.publish(
        DownloadRequested(
            user_id=installation.user_id,
            event_id=download_id,
            download_id=download_id,
            item=HUGE_ALBUM,
        )
    )
    failed = await wait_for_download(api, download_id, lambda d: d["status"] == "failed")
    assert failed["reason"] == GIVEN_UP  # in a person's words, no exception echoed

    retried = await api.post(f"/api/v1/downloads/{download_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] in ("queued", "searching")  # no longer failed
    # The source is still down: the retry ends failed again, not hanging.
    await wait_for_download(
        api, download_id, lambda d: d["status"] == "failed" and d["reason"] == GIVEN_UP
    )
    cancelled = await api.post(f"/api/v1/downloads/{download_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text


async def test_a_broken_download_message_is_dead_lettered_and_its_download_failed(
    broken_source_api: tuple[Installation, httpx.AsyncClient],
) -> None:
    installation, api = broken_source_api
    item = msgspec.structs.replace(
        HUGE_ALBUM, track=Track(title="Teardrop", artists=("Massive Attack",))
    )
    download_id = await queued(installation, item)
    bus = installation.bus
    # Decodes as no DownloadRequested (its item is a number), but names its download.
    broken = msgspec.json.encode(
        {
            "type": "downloads.requested",
            "user_id": installation.user_id,
            "download_id": download_id,
            "item": 5,
        }
    )
    await bus.broker.publish(
        broken,
        bus.topology.subject(DownloadRequested),
        stream=bus.topology.stream("downloads"),
    )
    failed = await wait_for_download(api, download_id, lambda d: d["status"] == "failed")
    assert failed["reason"] == GIVEN_UP
    js = jetstream(bus.broker)
    info = await js.consumer_info(
        bus.topology.stream("downloads"), bus.topology.durable("downloader", DownloadRequested)
    )
    assert info.num_ack_pending == 0 and info.num_redelivered == 0  # once, no crash loop
