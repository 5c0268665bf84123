"""Reading the raw titles people paste (video titles, upload names)."""

from __future__ import annotations

import re

_BRACKETED = re.compile(r"\s*[(\[【][^)\]】]*[)\]】]")


def catalog_queries(title: str) -> list[str]:
    """What to ask a catalog for a raw upload title: its words outside brackets ("(Official
    Video)"), and each side of an "Artist - Title" (which side is the title is unknown)."""
    plain = _BRACKETED.sub("", title).strip()
    sides = [side.strip() for side in re.split(r"\s+[-\u2013|]\s+", plain) if side.strip()]
    return sides if len(sides) > 1 else [plain or title]


def title_without_artist(title: str, artist: str) -> str:
    """An upload title without the half that names ``artist``: "Massive Attack - Teardrop
    (Live)" by Massive Attack is "Teardrop (Live)" (the version stays, it picks the record)."""
    sides = re.split(r"\s+[-\u2013|]\s+", title.strip())
    if len(sides) == 2:
        for index, side in enumerate(sides):
            if _BRACKETED.sub("", side).strip().casefold() == artist.strip().casefold():
                return sides[1 - index].strip()
    return title
