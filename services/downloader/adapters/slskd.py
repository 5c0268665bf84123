"""Soulseek through slskd's REST API (``/api/v0``, an ``X-API-Key``), over our own HTTP
layer: the ``slskd-api`` package is synchronous (requests), so it could not go through the
kernel's address guard that every user-given server address must pass.

Search: start one, poll until slskd says it is complete (answers fill in over seconds),
read the responses, delete the search. Download: enqueue the file with its peer, follow the
transfer until it completes, then move the finished file out of slskd's downloads folder
(shared with Tunebridge) into our staging folder. slskd answers 429 while it is busy with
another operation of the kind: we wait and try again, a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from services.downloader.adapters.fetcher import (
    Cancelled,
    Fetched,
    FetchError,
    Progress,
    measured_length,
)
from services.downloader.adapters.sources import SourceUnavailable
from services.downloader.domain import soulseek
from services.downloader.domain.sources import Capabilities, Source
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import PlannedDownload
from services.kernel.netguard import BlockedAddress, guarded_client

#: How often slskd is asked how a search or a transfer is going (seconds).
POLL_S = 0.5
#: Tries of a call slskd answers 429 to, waiting longer each time.
BUSY_TRIES = 6
BUSY_WAIT_S = 0.5


def _segment(text: str) -> str:
    """``text`` as one path segment of slskd's API: a peer names itself, and a name with
    ``/``, ``?`` or ``..`` in it must not reach another of slskd's endpoints (with our key)."""
    return quote(text, safe="").replace(".", "%2E")


class SlskdSource:
    """Soulseek: lossless when a peer shares it, album folders, slow (peers' queues)."""

    name = soulseek.ORIGIN
    capabilities = Capabilities(lossless=True, album_folders=True, speed="slow")

    def __init__(
        self,
        url: str,
        api_key: str,
        downloads_dir: str,
        addresses: AddressPolicy,
        search_timeout_s: float = 15.0,
        transfer_timeout_s: float = 600.0,
    ) -> None:
        self.downloads_dir = downloads_dir
        self.search_timeout_s = search_timeout_s
        self.transfer_timeout_s = transfer_timeout_s
        self._client = guarded_client(addresses, url.rstrip("/") + "/api/v0", 30.0)
        self._client.headers["X-API-Key"] = api_key

    async def close(self) -> None:
        await self._client.aclose()

    def queries(self, item: PlannedDownload) -> Sequence[str]:
        return soulseek.queries(item.track)

    async def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One call, waited and retried while slskd says it is busy (429)."""
        for attempt in range(BUSY_TRIES):
            try:
                response = await self._client.request(method, path, **options)
            except BlockedAddress:
                raise SourceUnavailable(
                    "slskd's address is not allowed: an administrator lists it in "
                    "TUNEBRIDGE_DOWNLOADER__ALLOWED_SLSKD_HOSTS",
                    "refused",
                ) from None
            except httpx.HTTPError:
                raise SourceUnavailable("slskd could not be reached") from None
            if response.status_code != 429:
                if response.status_code in (401, 403):
                    raise SourceUnavailable("slskd refused the API key", "refused")
                return response
            await asyncio.sleep(BUSY_WAIT_S * (attempt + 1))
        raise SourceUnavailable("slskd stayed busy with another operation", "refused")

    async def search(self, query: str) -> Sequence[Source]:
        search_id = str(uuid.uuid4())
        started = await self._call(
            "POST",
            "/searches",
            json={
                "id": search_id,
                "searchText": query,
                "searchTimeout": int(self.search_timeout_s * 1000),
                "filterResponses": True,
            },
        )
        if started.status_code >= 400:
            raise SourceUnavailable(f"slskd did not start the search ({started.status_code})")
        deadline = time.monotonic() + self.search_timeout_s + 5
        try:
            while time.monotonic() < deadline:
                state = (await self._call("GET", f"/searches/{search_id}")).json()
                if state.get("isComplete") or "Completed" in str(state.get("state", "")):
                    break
                await asyncio.sleep(POLL_S)
            answer = await self._call("GET", f"/searches/{search_id}/responses")
            responses = answer.json() if answer.status_code == 200 else []
        finally:
            with contextlib.suppress(SourceUnavailable):
                await self._call("DELETE", f"/searches/{search_id}")
        return soulseek.sources_from_responses(responses if isinstance(responses, list) else [])

    async def _transfer(self, username: str, remote_path: str) -> dict[str, Any] | None:
        """The newest transfer of ``remote_path`` from ``username`` (None: not listed)."""
        response = await self._call("GET", f"/transfers/downloads/{_segment(username)}")
        if response.status_code == 404:
            return None
        body = response.json()
        # Newer slskd answer one user object; some older ones a list of them.
        users = body if isinstance(body, list) else [body]
        files = [
            f
            for user in users
            if isinstance(user, dict)
            for directory in user.get("directories") or ()
            for f in directory.get("files") or ()
            if f.get("filename") == remote_path
        ]
        return max(files, key=lambda f: str(f.get("requestedAt") or "")) if files else None

    async def fetch(
        self,
        source: Source,
        folder: Path,
        audio_format: str | None,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> Fetched:
        peer = source.peer
        if peer is None:
            raise FetchError("not a Soulseek file")
        try:
            return await self._fetch(
                source, peer.username, peer.remote_path, peer.size, folder, on_progress, cancel
            )
        except SourceUnavailable as error:
            raise FetchError(str(error), error.kind) from None

    async def _fetch(
        self,
        source: Source,
        username: str,
        remote_path: str,
        size: int,
        folder: Path,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> Fetched:
        queued = await self._call(
            "POST",
            f"/transfers/downloads/{_segment(username)}",
            json=[{"filename": remote_path, "size": size}],
        )
        if queued.status_code >= 400:
            raise FetchError(
                f"the peer could not be asked for the file ({queued.status_code})", "refused"
            )
        deadline = time.monotonic() + self.transfer_timeout_s
        while True:
            transfer = await self._transfer(username, remote_path)
            if cancel is not None and cancel.is_set():
                if transfer and transfer.get("id"):
                    with contextlib.suppress(SourceUnavailable):
                        await self._call(
                            "DELETE",
                            f"/transfers/downloads/{_segment(username)}/{_segment(str(transfer['id']))}",
                            params={"remove": "true"},
                        )
                raise Cancelled("cancelled")
            state = soulseek.transfer_state(str((transfer or {}).get("state") or ""))
            if transfer and on_progress and state == "waiting":
                on_progress(
                    Progress(
                        int(transfer.get("bytesTransferred") or 0),
                        int(transfer.get("size") or size) or None,
                        transfer.get("averageSpeed"),
                    )
                )
            if state == "done":
                break
            if state == "refused":
                raise FetchError("the peer refused the download", "refused")
            if state == "failed":
                raise FetchError(f"the transfer ended: {transfer and transfer.get('state')}")
            if time.monotonic() > deadline:
                raise FetchError("the peer did not send the file in time", "network")
            await asyncio.sleep(POLL_S)
        finished = await asyncio.to_thread(self._finished, remote_path)
        if finished is None:
            raise FetchError(
                "slskd finished the download but its file is not in the shared "
                "downloads folder (TUNEBRIDGE_DOWNLOADER__SLSKD_DOWNLOADS_DIR)"
            )
        target = folder / f"audio{finished.suffix.casefold()}"
        await asyncio.to_thread(_move, finished, target)
        quality = source.quality
        return Fetched(
            path=target,
            duration_s=measured_length(target),
            source_url=source.url,
            lossy_source=not (quality and quality.lossless),
        )

    def _finished(self, remote_path: str) -> Path | None:
        """The finished file in slskd's downloads folder: where slskd puts it, else the
        newest file of its name there (slskd's own name cleaning may differ from ours)."""
        expected = Path(soulseek.finished_file(self.downloads_dir, remote_path))
        if expected.is_file():
            return expected
        name = soulseek.path_parts(remote_path)[-1]
        found = [p for p in Path(self.downloads_dir).rglob("*") if p.is_file() and p.name == name]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _move(finished: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(finished, target)
