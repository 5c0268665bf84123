"""Pure rules for cover art: which answers are pictures worth embedding."""

from __future__ import annotations

from typing import Literal

#: Content types a cover may come as; players read JPEG and PNG everywhere.
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png"})
#: Catalog covers are at most a few hundred kilobytes (Deezer's 1000x1000 is ~200 KB).
MAX_COVER_BYTES = 10 * 1024 * 1024


def image_kind(data: bytes) -> Literal["jpeg", "png"] | None:
    """What the bytes are (by their signature, whatever the server claimed), or None."""
    if data.startswith(b"\xff\xd8\xff") and len(data) > 4:
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def acceptable_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` announces a picture we embed."""
    media = (content_type or "").split(";", 1)[0].strip().casefold()
    return media in IMAGE_TYPES


#: Artwork addresses tried for one track (a catalog gives the same picture in a few sizes).
MOST_TRIED = 3


def cover_urls(urls: tuple[str, ...]) -> list[str]:
    """The artwork addresses worth trying, largest first: web addresses only."""
    return [url for url in urls if url.startswith(("https://", "http://"))][:MOST_TRIED]
