"""A person's search over the download sources (YouTube, Soulseek: whatever the downloader
is configured with), asked of the downloader over gRPC. A result is downloaded by naming
it (``pick``) in ``POST /downloads`` or ``POST /downloads/album``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException, ValidationException
from litestar.params import JSONBody

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway

#: The sources as people know them.
SOURCE_NAMES = {"youtube": "YouTube", "soulseek": "Soulseek"}


def source_name(origin: str) -> str:
    return SOURCE_NAMES.get(origin, origin.capitalize())


class AudioSearch(msgspec.Struct, kw_only=True):
    """What to search the download sources for, and at most how many results per source."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    limit: Annotated[int, msgspec.Meta(ge=1, le=25)] | None = None


class AudioResultView(msgspec.Struct, kw_only=True):
    """One upload or shared file: what it is called, who has it, its length and quality;
    ``index`` names it in a download's ``pick``. ``folder``: the share's folder it is in
    (an album, often); ``track``: what the result says the track is."""

    index: int
    source: str
    source_name: str
    title: str
    uploader: str
    duration_ms: int | None
    quality: str | None
    lossless: bool
    size_bytes: int | None
    folder: str | None
    free_slot: bool
    track_title: str
    artists: list[str]
    album: str | None
    track_number: int | None


class UnavailableView(msgspec.Struct, kw_only=True):
    source: str
    reason: str


class AudioSearchView(msgspec.Struct, kw_only=True):
    """The results, source by source; the sources that could not be searched, saying why;
    every source there is. ``search_id`` is kept an hour for a download's ``pick``."""

    search_id: str
    query: str
    results: list[AudioResultView]
    unavailable: list[UnavailableView]
    sources: list[str]


def quality_words(codec: str, bitrate_kbps: int) -> str | None:
    """``FLAC``, ``MP3 320 kbps``, or None when the source does not say before the download."""
    if not codec:
        return None
    return f"{codec.upper()} {bitrate_kbps} kbps" if bitrate_kbps else codec.upper()


class AudioSearchController(Controller):
    """Search the download sources."""

    path = "/api/v1"
    tags = ["downloads"]

    @post(
        "/downloads/search",
        status_code=200,
        summary="Search the download sources (YouTube, Soulseek...) for audio",
    )
    async def search(
        self, gateway: NamedDependency[Gateway], data: JSONBody[AudioSearch]
    ) -> AudioSearchView:
        query = " ".join(data.query.split())
        if not query:
            raise ValidationException("write what to search for")
        try:
            found = await gateway.clients.search_audio(
                gateway.current_user(), query, data.limit or 0
            )
        except ServiceUnavailable as error:
            if error.code().name == "INVALID_ARGUMENT":
                raise ValidationException(error.details() or "invalid search") from error
            raise ServiceUnavailableException("the downloader is not answering") from error
        return AudioSearchView(
            search_id=found.search_id,
            query=query,
            results=[
                AudioResultView(
                    index=r.index,
                    source=r.origin,
                    source_name=source_name(r.origin),
                    title=r.title,
                    uploader=r.uploader,
                    duration_ms=r.duration_ms or None,
                    quality=quality_words(r.codec, r.bitrate_kbps),
                    lossless=r.lossless,
                    size_bytes=r.size_bytes or None,
                    folder=r.folder or None,
                    free_slot=r.free_slot,
                    track_title=r.track_title,
                    artists=list(r.artists),
                    album=r.album or None,
                    track_number=r.track_number or None,
                )
                for r in found.results
            ],
            unavailable=[
                UnavailableView(source=u.origin, reason=u.reason) for u in found.unavailable
            ],
            sources=list(found.sources),
        )
