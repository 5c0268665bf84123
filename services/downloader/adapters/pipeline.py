"""One planned track, from search to a tagged file in its place in the library.

Search (YouTube Music first, then YouTube), rank with the matcher, take the best above the
threshold (else the track goes to review with its candidates), fetch, check the length,
tag, file under the library path, put the cover beside. A track whose file is already in
place is not fetched again.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

import mutagen

from services.downloader.adapters.fetcher import FetchError, Progress, fetch
from services.downloader.adapters.filing import write_cover_file
from services.downloader.adapters.tagger import write_tags
from services.downloader.domain.fetching import duration_ok
from services.downloader.domain.paths import safe_component, with_suffix_number
from services.downloader.domain.sources import Source
from services.downloader.domain.tagging import tags_for
from services.kernel.contracts import PlannedDownload, Track

Search = Callable[[str], Awaitable[Sequence[Source]]]
#: Where downloads are staged, inside the library (a hidden folder players skip).
STAGING = ".tunebridge-staging"
#: Ranks candidates for a track: (index, confidence) best first.
Rank = Callable[[PlannedDownload, Sequence[Source]], Awaitable[list[tuple[int, float]]]]


@dataclass(frozen=True)
class Outcome:
    """What happened to one planned track."""

    status: Literal["done", "already_there", "review", "failed"]
    path: Path | None = None
    source_url: str | None = None
    confidence: float | None = None
    reason: str | None = None
    candidates: tuple[tuple[str, float], ...] = field(default=())


async def download_one(
    item: PlannedDownload,
    library: Path,
    search: Search,
    rank: Rank,
    threshold: float,
    cover: bytes | None = None,
    audio_format: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    plain_into: Path | None = None,
) -> Outcome:
    """Bring ``item`` into ``library`` (see the module docstring); or, with
    ``plain_into``, save the best source there as it is: untagged, under its own title."""
    target = library / item.target_path
    if plain_into is None and (existing := _already_there(target, item.track)) is not None:
        return Outcome("already_there", path=existing)
    sources = list(await search(item.search_query))
    if not sources:
        return Outcome("review", reason="no source found")
    ranked = await rank(item, sources)
    shortlist = tuple((sources[i].url, confidence) for i, confidence in ranked[:5])
    best_index, best_confidence = ranked[0]
    if best_confidence < threshold:
        return Outcome(
            "review",
            reason="no source is surely this recording",
            confidence=best_confidence,
            candidates=shortlist,
        )
    chosen = sources[best_index]
    # Staged inside the destination, so the final move is a rename: atomic, never half a file.
    staging = (plain_into or library) / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="download-", dir=staging) as scratch:
        try:
            fetched = await asyncio.to_thread(
                fetch, chosen.url, Path(scratch), "audio", audio_format, on_progress, cancel
            )
        except FetchError as error:
            return Outcome("failed", reason=str(error), source_url=chosen.url, candidates=shortlist)
        if not duration_ok(item.track.duration_ms, fetched.duration_s):
            return Outcome(
                "review",
                reason="the download's length is not the track's",
                source_url=chosen.url,
                confidence=best_confidence,
                candidates=shortlist,
            )
        if plain_into is not None:
            final = _free_name(
                plain_into / f"{safe_component(chosen.upload_title or chosen.track.title)}"
                f"{fetched.path.suffix}"
            )
            os.replace(fetched.path, final)
            return Outcome("done", path=final, source_url=chosen.url, confidence=best_confidence)
        tags = tags_for(item.track, source_url=fetched.source_url)
        await asyncio.to_thread(write_tags, fetched.path, tags, cover)
        final = _free_name(target.with_suffix(fetched.path.suffix))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fetched.path, final)
    if cover:
        write_cover_file(final.parent, cover)
    return Outcome("done", path=final, source_url=chosen.url, confidence=best_confidence)


def _same_recording(path: Path, track: Track) -> bool:
    """Whether a file already there is this track (by ISRC, else by title and artist)."""
    try:
        audio = mutagen.File(path, easy=True)
    except Exception:
        return False
    tags = dict(audio.tags or {}) if audio is not None else {}
    isrc = (tags.get("isrc") or [None])[0]
    if isrc and track.isrc:
        return str(isrc).replace("-", "").upper() == track.isrc.replace("-", "").upper()
    title = (tags.get("title") or [""])[0]
    artists = [a.casefold() for a in tags.get("artist") or []]
    return title.casefold() == track.title.casefold() and (
        not track.artists or track.artists[0].casefold() in artists
    )


def _already_there(target: Path, track: Track) -> Path | None:
    """The file of this track at its place (any extension, or a numbered twin), if any."""
    if not target.parent.is_dir():
        return None
    # Compared by name, not globbed: titles hold brackets, which globbing reads as patterns.
    for path in sorted(target.parent.iterdir()):
        numbered = path.stem.startswith(f"{target.stem} (") and path.stem.endswith(")")
        if (
            path.is_file()
            and (path.stem == target.stem or numbered)
            and _same_recording(path, track)
        ):
            return path
    return None


def _free_name(path: Path) -> Path:
    """``path``, or ``name (2).ext``... when another track already holds it."""
    number = 1
    candidate = path
    while candidate.exists():
        number += 1
        candidate = Path(with_suffix_number(PurePosixPath(path), number))
    return candidate
