"""An slskd emulator: the REST calls Tunebridge makes, over shares of real audio files.

Written from slskd's documented API (``/api/v0``, ``X-API-Key``): a search is started with
``POST /searches`` and fills over time (each share answers after its own delay; the search
is complete after ``search_s``); ``GET /searches/{id}``, ``/searches/{id}/responses``,
``DELETE /searches/{id}``. A download is enqueued with ``POST /transfers/downloads/{user}``
and moves from ``Queued, Remotely`` through ``InProgress`` (bytes growing) to
``Completed, Succeeded`` (the file copied into ``downloads_dir/<its folder>/<name>``, as
slskd saves), or ``Completed, Rejected``/``Completed, Errored`` for a share set to fail.
While a search is running, another search gets 429 (slskd's "one concurrent operation"
when ``one_search_at_a_time``). ``legacy_fields`` answers with older versions' field
names (``freeUploadSlots``, ``queueDepth``, ``bitrate``).
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, delete, get, post
from litestar.params import FromPath

API_KEY = "emulator-slskd-key"


@dataclass
class SharedFile:
    remote_path: str  # as the peer names it, backslashes and all
    local: Path  # the real audio behind it
    bitrate: int | None = None
    sample_rate: int | None = None
    bit_depth: int | None = None
    length: int | None = None


@dataclass
class Share:
    username: str
    files: list[SharedFile]
    free_slot: bool = True
    queue_length: int = 0
    speed: int = 1_000_000
    delay_s: float = 0.0  # how long after a search starts this peer answers
    fail: str | None = None  # "Rejected" or "Errored": how its transfers end


@dataclass
class SlskdState:
    downloads_dir: Path
    shares: list[Share] = field(default_factory=list)
    search_s: float = 1.0
    transfer_s: float = 1.0
    one_search_at_a_time: bool = True
    legacy_fields: bool = False
    searches: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    refused_busy: int = 0

    def running(self) -> bool:
        now = time.monotonic()
        return any(now - s["started"] < self.search_s for s in self.searches.values())


def _matches(query: str, path: str) -> bool:
    words = query.casefold().split()
    haystack = path.casefold().replace("\\", " ")
    return all(w in haystack for w in words)


def slskd_app(state: SlskdState) -> Litestar:
    def refused(request: Request[Any, Any, Any]) -> Response[Any] | None:
        return (
            None if request.headers.get("x-api-key") == API_KEY else Response("", status_code=401)
        )

    def search_view(search: dict[str, Any]) -> dict[str, Any]:
        complete = time.monotonic() - search["started"] >= state.search_s
        return {
            "id": search["id"],
            "searchText": search["searchText"],
            "state": "Completed, Succeeded" if complete else "InProgress",
            "isComplete": complete,
            "responseCount": len(responses(search)),
        }

    def responses(search: dict[str, Any]) -> list[dict[str, Any]]:
        elapsed = time.monotonic() - search["started"]
        legacy = state.legacy_fields
        found = []
        for share in state.shares:
            files = [f for f in share.files if _matches(search["searchText"], f.remote_path)]
            if not files or elapsed < share.delay_s:
                continue
            found.append(
                {
                    "username": share.username,
                    "fileCount": len(files),
                    ("freeUploadSlots" if legacy else "hasFreeUploadSlot"): (
                        int(share.free_slot) if legacy else share.free_slot
                    ),
                    ("queueDepth" if legacy else "queueLength"): share.queue_length,
                    "uploadSpeed": share.speed,
                    "lockedFileCount": 0,
                    "lockedFiles": [],
                    "files": [
                        {
                            "filename": f.remote_path,
                            "size": f.local.stat().st_size,
                            "extension": "" if legacy else f.local.suffix.lstrip("."),
                            ("bitrate" if legacy else "bitRate"): f.bitrate,
                            "sampleRate": f.sample_rate,
                            "bitDepth": f.bit_depth,
                            "length": f.length,
                            "code": 1,
                        }
                        for f in files
                    ],
                }
            )
        return found

    @post("/api/v0/searches", status_code=200)
    async def start_search(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if state.one_search_at_a_time and state.running():
            state.refused_busy += 1
            return Response(
                {"error": "Only one concurrent operation is permitted"}, status_code=429
            )
        body = await request.json()
        search = {
            "id": str(body.get("id") or uuid.uuid4()),
            "searchText": str(body["searchText"]),
            "started": time.monotonic(),
        }
        state.queries.append(search["searchText"])
        state.searches[search["id"]] = search
        return search_view(search)

    @get("/api/v0/searches/{search_id:str}")
    async def get_search(request: Request[Any, Any, Any], search_id: FromPath[str]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if search_id not in state.searches:
            return Response("", status_code=404)
        return search_view(state.searches[search_id])

    @get("/api/v0/searches/{search_id:str}/responses")
    async def get_responses(request: Request[Any, Any, Any], search_id: FromPath[str]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if search_id not in state.searches:
            return Response("", status_code=404)
        return responses(state.searches[search_id])

    @delete("/api/v0/searches/{search_id:str}", status_code=204)
    async def delete_search(request: Request[Any, Any, Any], search_id: FromPath[str]) -> None:
        state.searches.pop(search_id, None)

    def share_of(username: FromPath[str]) -> Share | None:
        return next((s for s in state.shares if s.username == username), None)

    def transfer_view(transfer: dict[str, Any]) -> dict[str, Any]:
        share = share_of(transfer["username"])
        elapsed = time.monotonic() - transfer["started"]
        size = transfer["size"]
        done = min(1.0, max(0.0, elapsed / state.transfer_s))
        view = dict(transfer)
        view.pop("started")
        view.pop("local")
        if done >= 1.0 and share is not None and share.fail:
            view.update(state=f"Completed, {share.fail}", bytesTransferred=0)
        elif done >= 1.0:
            if not transfer.get("written"):
                parts = [p for p in transfer["filename"].replace("\\", "/").split("/") if p]
                target = state.downloads_dir / parts[-2] / parts[-1]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(transfer["local"], target)
                transfer["written"] = True
            view.update(state="Completed, Succeeded", bytesTransferred=size, percentComplete=100)
        elif elapsed < state.transfer_s / 4:
            view.update(state="Queued, Remotely", bytesTransferred=0)
        else:
            view.update(
                state="InProgress",
                bytesTransferred=int(size * done),
                percentComplete=round(100 * done, 1),
                averageSpeed=share.speed if share else 0,
            )
        view.pop("written", None)
        return view

    # A peer's name is one path segment, percent-encoded ("/" and "?" in it too), which
    # the server decodes: taken here as the rest of the path, as it arrives decoded.
    @post("/api/v0/transfers/downloads/{peer:path}", status_code=201)
    async def enqueue(request: Request[Any, Any, Any], peer: FromPath[str]) -> Any:
        username = peer.removeprefix("/")
        if (no := refused(request)) is not None:
            return no
        share = share_of(username)
        if share is None:
            return Response("", status_code=404)
        for wanted in await request.json():
            shared = next((f for f in share.files if f.remote_path == wanted["filename"]), None)
            if shared is None:
                return Response("", status_code=404)
            transfer_id = str(uuid.uuid4())
            state.transfers[transfer_id] = {
                "id": transfer_id,
                "username": username,
                "direction": "Download",
                "filename": shared.remote_path,
                "size": shared.local.stat().st_size,
                "requestedAt": time.strftime("%Y-%m-%dT%H:%M:%S")
                + f".{time.time_ns() % 10**9:09d}",
                "started": time.monotonic(),
                "local": shared.local,
            }
        return None

    @get("/api/v0/transfers/downloads/{peer:path}")
    async def list_user(request: Request[Any, Any, Any], peer: FromPath[str]) -> Any:
        username = peer.removeprefix("/")
        if (no := refused(request)) is not None:
            return no
        files = [transfer_view(t) for t in state.transfers.values() if t["username"] == username]
        if not files:
            return Response("", status_code=404)
        directories: dict[str, list[dict[str, Any]]] = {}
        for f in files:
            directories.setdefault(f["filename"].rsplit("\\", 1)[0], []).append(f)
        return {
            "username": username,
            "directories": [
                {"directory": d, "fileCount": len(fs), "files": fs} for d, fs in directories.items()
            ],
        }

    @delete("/api/v0/transfers/downloads/{peer_and_id:path}", status_code=204)
    async def cancel(request: Request[Any, Any, Any], peer_and_id: FromPath[str]) -> None:
        transfer_id = peer_and_id.rsplit("/", 1)[-1]
        state.transfers.pop(transfer_id, None)

    return Litestar(
        [start_search, get_search, get_responses, delete_search, enqueue, list_user, cancel]
    )


def downloader_options(url: str, state: SlskdState) -> dict[str, Any]:
    """``DownloaderSettings`` fields for a downloader whose only source is this emulator
    at ``url`` (loopback allowed)."""
    return {
        "sources": ("soulseek",),
        "slskd_url": url,
        "slskd_api_key": API_KEY,
        "slskd_downloads_dir": str(state.downloads_dir),
        "allowed_slskd_hosts": ("127.0.0.1",),
        "slskd_search_s": 2.0,
    }
