"""What to ask a catalog for when a track's ISRC found nothing: a few queries, widest
last, so that the right recording is among the candidates the matcher judges.

Catalogs rank by their own taste: the recording wanted is often not in the first five
of a title-and-artist search (a remaster, a live take or a cover ranks above it), and a
title with a parenthetical ("(Remastered 2011)", "[feat. X]") finds nothing where the
catalog spells it otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import msgspec

from services.kernel.contracts import Track

#: Results asked of each query (providers that cap a page are paged).
SEARCH_RESULTS = 20
#: Most candidates handed to the matcher for one track.
MAX_CANDIDATES = 25

_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_DASH_SUFFIX = re.compile(r"\s+-\s+.*$")


def bare_title(title: str) -> str:
    """A title without its parentheticals and its " - Remastered ..." tail."""
    bare = _DASH_SUFFIX.sub("", _BRACKETS.sub("", title)).strip()
    return bare or title.strip()


def query_variants(track: Track) -> list[Track]:
    """The searches to make for ``track``, in order: title and artist; the bare title and
    artist (when it differs); the artist alone (an artist-field query)."""
    variants = [track]
    bare = bare_title(track.title)
    if bare.casefold() != track.title.strip().casefold():
        variants.append(msgspec.structs.replace(track, title=bare))
    if track.artists and track.title.strip():
        variants.append(msgspec.structs.replace(track, title=""))
    return variants


def merged(results: list[list[Track]], limit: int = MAX_CANDIDATES) -> list[Track]:
    """Search results in order, each recording once (by its id), at most ``limit``."""
    seen: set[str] = set()
    found: list[Track] = []
    for tracks in results:
        for candidate in tracks:
            key = candidate.provider_id or f"{candidate.title}|{candidate.artists}"
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found[:limit]


def exact_first(tracks: list[Track], query: Track, limit: int) -> list[Track]:
    """A media server's "contains" search put in order: the song of that very artist and
    title first, at most ``limit``."""
    title = query.title.casefold()
    wanted = query.artists[0].casefold() if query.artists else ""
    tracks.sort(
        key=lambda t: (
            bool(wanted) and not any(wanted in a.casefold() for a in t.artists),
            bool(title) and t.title.casefold() != title,
        )
    )
    return tracks[:limit]


#: Most namesakes whose albums are read to tell them apart (one call each).
NAMESAKES_READ = 3
_SPACES = re.compile(r"\s+")


def _name(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def namesakes(artist: Track, candidates: Sequence[Track]) -> list[int]:
    """The positions of the candidates named exactly as ``artist`` (an artist record),
    at most ``NAMESAKES_READ``, when two or more are: the ones only their albums can tell
    apart. Empty otherwise (the common case: nothing more is read)."""
    wanted = _name(artist.title)
    found = [i for i, c in enumerate(candidates) if wanted and _name(c.title) == wanted]
    return found[:NAMESAKES_READ] if len(found) >= 2 else []
