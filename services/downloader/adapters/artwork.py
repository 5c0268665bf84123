"""Cover art from the address a catalog gave for the track's release, fetched with limits.

The addresses come from the catalog record the track was matched to (largest first); an
answer is taken only if it is a JPEG or PNG by its type and by its bytes, and no larger
than the limit (the download stops as soon as it is larger). A cover that cannot be had
leaves the track without one; it never fails the download.

An artwork address can come from a user (a CSV upload's artwork column), so it is fetched
through the kernel's guarded transport: public addresses only, unless an administrator
allows more (``TUNEBRIDGE_DOWNLOADER__ALLOWED_ARTWORK_HOSTS``), checked on every hop.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

from services.downloader.domain.artwork import (
    MAX_COVER_BYTES,
    acceptable_type,
    cover_urls,
    image_kind,
)
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import DownloadRequested
from services.kernel.netguard import BlockedAddress, GuardedTransport

log = logging.getLogger("tunebridge.downloader.artwork")
#: A catalog's image server answers in well under a second; a cover is not worth more.
TIMEOUT_S = 10.0


class CoverArt:
    """``await cover_art(request)``: the cover of the requested track's release, or None."""

    def __init__(
        self,
        max_bytes: int = MAX_COVER_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        addresses: AddressPolicy | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            timeout=TIMEOUT_S,
            follow_redirects=True,  # each hop's address is checked by the transport
            max_redirects=3,
            transport=transport or GuardedTransport(addresses or AddressPolicy()),
            trust_env=False,
            headers={"Accept": "image/jpeg, image/png"},
        )

    async def __call__(self, request: DownloadRequested) -> bytes | None:
        for url in cover_urls(request.item.track.artwork_urls):
            cover = await self._fetch(url)
            if cover is not None:
                return cover
        return None

    async def _fetch(self, url: str) -> bytes | None:
        host = urlsplit(url).hostname or "?"  # never the query: it may carry a token
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    return self._refused(host, f"answered {response.status_code}")
                if not acceptable_type(response.headers.get("content-type")):
                    return self._refused(host, "not a JPEG or PNG")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    return self._refused(host, "too large")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self.max_bytes:
                        return self._refused(host, "too large")
        except httpx.HTTPError as error:
            return self._refused(host, type(error).__name__)
        except BlockedAddress:
            return self._refused(host, "not an address covers may come from")
        if image_kind(bytes(data)) is None:
            return self._refused(host, "not a JPEG or PNG")
        return bytes(data)

    @staticmethod
    def _refused(host: str, why: str) -> None:
        log.info("no cover from this address", extra={"host": host, "why": why})
        return None

    async def close(self) -> None:
        await self._client.aclose()
