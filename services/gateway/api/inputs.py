"""Bounds on what the API accepts, shared by every request body that carries it.

Whatever passes the edge travels on: onto the bus (where a message too large to even be
dead-lettered left a download "searching" forever), into gRPC (whose int64 a 9.3e18
duration overflowed) and into the store. So every text has a length, every number a
range, and free-form JSON a depth, checked while decoding: a request past them is a 400
that names the field, never a 500 and never a message that cannot be delivered.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import msgspec
from litestar import Request
from litestar.exceptions import ClientException

from services.kernel.contracts import TrackDocument
from services.kernel.text import MAX_NAME_CHARS, MAX_TITLE_CHARS, UNPRINTABLE_CHARS

#: Longest track we take: a week (long-form recordings and ten-hour videos pass).
MAX_DURATION_MS = 7 * 86400 * 1000
#: Largest count a provider reports (a signed 64-bit integer, as gRPC carries it).
MAX_COUNT = 2**63 - 1

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE_CHARS)]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME_CHARS)]
Isrc = Annotated[str, msgspec.Meta(max_length=64)]
DurationMs = Annotated[float, msgspec.Meta(ge=0, le=MAX_DURATION_MS)]
IntDurationMs = Annotated[int, msgspec.Meta(ge=0, le=MAX_DURATION_MS)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
#: A playlist file's text (``max_playlist_bytes`` bounds it more tightly, at run time).
Document = Annotated[str, msgspec.Meta(max_length=100_000_000)]
#: Text people name things with (jobs, tokens, quality profiles, playlists): it is shown
#: back in pages, reports and logs, where a control character or a text-direction override
#: would hide or disguise what follows it.
PRINTABLE = f"^[^{UNPRINTABLE_CHARS}]*$"
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
#: What a webhook's sender calls its events (Plex ``library.new``, Lidarr ``Download``).
EVENT_NAME = r"^[A-Za-z0-9_.:-]{1,64}$"
EventName = Annotated[str, msgspec.Meta(pattern=EVENT_NAME)]
#: ``format[:kbps[:Hz[:bits]]]``: ``flac``, ``mp3:320``, ``flac:0:96000:24``, ``any``.
QUALITY_TARGET = r"^[a-z0-9]{2,6}(:[0-9]{0,6}){0,3}$"
#: ``mp3``, ``mp3:256``, ``opus:128``: a lossy copy's format and bitrate (kbps).
LOSSY_COPY = r"^(mp3|opus)(:[0-9]{1,3})?$"

#: What each pattern above asks, in words: a refused field's message says this, not the
#: regular expression.
PATTERNS_IN_WORDS = {
    PRINTABLE: "may not contain control characters or text-direction marks",
    EVENT_NAME: "is not an event name (letters, digits and . _ : -, 64 at most)",
    QUALITY_TARGET: "is not a quality target (format[:kbps[:Hz[:bits]]], e.g. flac or mp3:320)",
    LOSSY_COPY: "is not a lossy copy (mp3 or opus, with a bitrate if you like: mp3:320)",
}


def in_words(message: str) -> str:
    """A validation message, with a pattern we know of said in words."""
    for pattern, words in PATTERNS_IN_WORDS.items():
        if message == f"Expected `str` matching regex {pattern!r}":
            return words
    return message


#: A provider's name, as the connectors spell them.
Catalog = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
#: One of the person's connections, to search its catalog as them (``/catalogs``).
CatalogConnection = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]


class TrackInput(TrackDocument, kw_only=True):
    """A track as people and scripts write one in JSON: a title (2,000 characters at
    most), up to 100 artists and an album (1,000 each), a length in milliseconds (a week
    at most), an ISRC. Unknown fields are ignored, so richer exports can be passed as
    they are."""

    title: Title
    # A single credit string is taken as one artist; exports are not always tidy.
    artists: Annotated[list[Name], msgspec.Meta(max_length=100)] | Name | None = None
    album: Name | None = None
    duration_ms: DurationMs | None = None
    isrc: Isrc | None = None
    views: Count | None = None


def _json(depth: int) -> object:
    """JSON nested at most ``depth`` arrays or objects deep."""
    scalar = str | int | float | bool | None
    value: object = scalar
    for _ in range(depth):
        value = Union[scalar, list[value], dict[str, value]]  # type: ignore[valid-type]  # noqa: UP007
    return value


#: Free-form JSON (a Spotify data export), twelve levels deep at most: its files nest five;
#: a document nested a thousand deep would exhaust the decoder's stack.
JsonDocument = _json(12)


class BoundedRequest(Request[Any, Any, Any]):
    """Litestar's request, whose JSON body too deeply nested to decode is the client's
    mistake (a 400), not a ``RecursionError`` of ours: Litestar decodes every body to
    plain values before it checks the body's type."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("the JSON body is nested too deeply") from None
