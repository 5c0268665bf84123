"""Lidarr (API v1, ``X-Api-Key``), by URL and API key: its albums' imported tracks as a
library (for the missing-tracks check), and whole albums handed to it.

Handing an album over: look it up (``/album/lookup``), add it monitored with the artist's
quality and metadata profiles and root folder (``POST /album``, the artist added with it
when new; an album Lidarr has already is monitored instead), start an ``AlbumSearch``
command, then follow the command to its end and the album's statistics until Lidarr has
imported its tracks. Profile and root folder names are resolved to Lidarr's ids
(``/qualityprofile``, ``/metadataprofile``, ``/rootfolder``); none named: the first. A
scan of its folders is its ``RescanFolders`` command. Through our HTTP layer (the address
guard, limits, retries) like every user-given server; written from our description of
the API in the providers notes (the GPL OpenAPI document is not copied).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from services.connectors.adapters.http import ProviderHttp
from services.connectors.adapters.provider import Profile, Provider
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.domain.limits import Bucket
from services.connectors.domain.providers import AuthStrategy, Capability, ProviderInfo
from services.kernel.contracts import Track
from services.kernel.records import ConnectionRecord

#: How an added artist's albums are monitored (Lidarr's ``addOptions.monitor``).
MONITOR = ("all", "future", "missing", "existing", "latest", "first", "none")
INFO = ProviderInfo(
    "lidarr",
    "Lidarr",
    (Capability.READ_PROFILE, Capability.SCAN_LIBRARY, Capability.ADD_ALBUMS),
    AuthStrategy.SERVER_TOKEN,
)
LIDARR_BUCKET = Bucket("lidarr:server", capacity=20, per_second=20)


class LidarrSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``LIDARR``.

    Attributes:
        url: The Lidarr server used when a connection names none.
        follow_s: How long an album handed to Lidarr is followed until imported (seconds).
        poll_s: How often its search command and the album are looked at (seconds).
    """

    url: str = "http://127.0.0.1:8686"
    follow_s: Annotated[float, msgspec.Meta(gt=0)] = 3600.0
    poll_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0


@dataclass(frozen=True)
class HandOff:
    """Where an album handed to Lidarr stands."""

    album_id: int
    command_id: int | None
    status: Literal["searching", "imported", "failed", "timed_out", "not_found"]
    reason: str | None = None


class LidarrProvider(Provider):
    """One Lidarr server."""

    name: ClassVar[str] = "lidarr"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name

    def __init__(
        self, http: ProviderHttp, api_key: str, settings: LidarrSettings | None = None
    ) -> None:
        self.http = http
        self.headers = {"X-Api-Key": api_key}
        self.settings = settings or LidarrSettings()
        self._scan: int | None = None

    def __repr__(self) -> str:  # never the key
        return "LidarrProvider()"

    async def _call(self, method: str, path: str, endpoint: str, **options: Any) -> Any:
        return await self.http.call(
            method,
            path,
            endpoint=endpoint,
            headers=self.headers,
            buckets=[LIDARR_BUCKET],
            **options,
        )

    async def profile(self) -> Profile:
        status = await self._call("GET", "/api/v1/system/status", "status") or {}
        name = str(status.get("instanceName") or "Lidarr")
        return Profile(self.name, name, name)

    async def library(self) -> AsyncIterator[Track]:
        """Every track Lidarr has a file of, album by album."""
        artists = {
            a["id"]: str(a.get("artistName") or "")
            for a in await self._call("GET", "/api/v1/artist", "artists") or []
        }
        for album in await self._call("GET", "/api/v1/album", "albums") or []:
            if not int((album.get("statistics") or {}).get("trackFileCount") or 0):
                continue
            artist = artists.get(album.get("artistId"), "")
            found = await self._call(
                "GET", "/api/v1/track", "tracks", params={"albumId": album["id"]}
            )
            for track in found or []:
                if not track.get("hasFile"):
                    continue
                number = track.get("absoluteTrackNumber")
                yield Track(
                    title=str(track.get("title") or ""),
                    artists=(artist,) if artist else (),
                    album=str(album.get("title") or "") or None,
                    album_artists=(artist,) if artist else (),
                    track_number=int(number) if isinstance(number, int) else None,
                    duration_ms=int(track["duration"]) if track.get("duration") else None,
                    provider=self.name,
                    provider_id=str(track.get("id")),
                )

    async def _id_of(self, path: str, name: str | None, field: str = "name") -> dict[str, Any]:
        found = await self._call("GET", path, path.rsplit("/", 1)[-1]) or []
        what = path.rsplit("/", 1)[-1]
        if not found:
            raise LookupError(f"Lidarr has no {what}")
        chosen = next((f for f in found if name and f.get(field) == name), None)
        if name and chosen is None:
            raise LookupError(f"Lidarr has no {what} named {name!r}")
        return dict(chosen or found[0])

    async def hand_album(
        self,
        artist: str,
        album: str,
        quality_profile: str | None = None,
        metadata_profile: str | None = None,
        root_folder: str | None = None,
        monitor: str = "none",
    ) -> HandOff:
        """Add ``album`` by ``artist`` to Lidarr, monitored, and start its search."""
        if monitor not in MONITOR:
            raise ValueError(f"monitor must be one of {', '.join(MONITOR)}")
        found = await self._call(
            "GET", "/api/v1/album/lookup", "album_lookup", params={"term": f"{artist} {album}"}
        )
        wanted = next(
            (
                a
                for a in found or ()
                if str(a.get("title", "")).casefold() == album.casefold()
                and str((a.get("artist") or {}).get("artistName", "")).casefold()
                == artist.casefold()
            ),
            None,
        )
        if wanted is None:
            return HandOff(0, None, "not_found", f"Lidarr found no album {album!r} by {artist}")
        if wanted.get("id"):  # already in Lidarr's library: monitor it
            album_id = int(wanted["id"])
            await self._call(
                "PUT",
                "/api/v1/album/monitor",
                "album_monitor",
                json={"albumIds": [album_id], "monitored": True},
            )
        else:
            try:
                quality = await self._id_of("/api/v1/qualityprofile", quality_profile)
                metadata = await self._id_of("/api/v1/metadataprofile", metadata_profile)
                folder = await self._id_of("/api/v1/rootfolder", root_folder, "path")
            except LookupError as missing:
                return HandOff(0, None, "failed", str(missing))
            body = dict(wanted)
            body["monitored"] = True
            body["addOptions"] = {"searchForNewAlbum": False}
            body["artist"] = {
                **(wanted.get("artist") or {}),
                "qualityProfileId": quality["id"],
                "metadataProfileId": metadata["id"],
                "rootFolderPath": folder["path"],
                "monitored": True,
                "addOptions": {"monitor": monitor, "searchForMissingAlbums": False},
            }
            added = await self._call("POST", "/api/v1/album", "album_add", json=body)
            album_id = int(added["id"])
        command = await self._call(
            "POST",
            "/api/v1/command",
            "command",
            json={"name": "AlbumSearch", "albumIds": [album_id]},
        )
        return HandOff(album_id, int(command["id"]), "searching")

    async def follow(self, handed: HandOff) -> HandOff:
        """Follow the search command to its end, then the album until it is imported."""
        if handed.command_id is None:
            return handed
        deadline = time.monotonic() + self.settings.follow_s
        while time.monotonic() < deadline:
            command = await self._call("GET", f"/api/v1/command/{handed.command_id}", "command")
            status = command.get("status")
            if status in ("failed", "aborted", "cancelled", "orphaned"):
                reason = command.get("message") or f"Lidarr's search {status}"
                return HandOff(handed.album_id, handed.command_id, "failed", str(reason))
            if status == "completed":
                album = await self._call("GET", f"/api/v1/album/{handed.album_id}", "album")
                stats = album.get("statistics") or {}
                total = int(stats.get("trackCount") or 0)
                if total and int(stats.get("trackFileCount") or 0) >= total:
                    return HandOff(handed.album_id, handed.command_id, "imported")
            await asyncio.sleep(self.settings.poll_s)
        return HandOff(
            handed.album_id, handed.command_id, "timed_out", "Lidarr did not import it in time"
        )

    async def start_scan(self) -> None:
        command = await self._call(
            "POST", "/api/v1/command", "command", json={"name": "RescanFolders"}
        )
        self._scan = int(command["id"])

    async def scanning(self) -> bool:
        if self._scan is None:
            return False
        command = await self._call("GET", f"/api/v1/command/{self._scan}", "command")
        return command.get("status") in ("queued", "started")


def build(building: Building, record: ConnectionRecord, settings: LidarrSettings) -> Provider:
    """The server a connection names (else the installation's), with its API key."""
    return LidarrProvider(
        building.http("lidarr", record.server_url or settings.url, bool(record.server_url)),
        building.tokens(record).access_token,
        settings,
    )


SPEC = ProviderSpec(INFO, LidarrSettings, build)
