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
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

import mutagen

from services.downloader.adapters.copies import CopyFailed, make_lossy_copy
from services.downloader.adapters.fetcher import Cancelled, FetchError, Progress
from services.downloader.adapters.filing import write_cover_file
from services.downloader.adapters.sources import AudioSource, SourceUnavailable, YtDlpSource
from services.downloader.adapters.tagger import write_tags
from services.downloader.domain.fetching import duration_ok
from services.downloader.domain.paths import safe_component, with_suffix_number
from services.downloader.domain.quality import ANY, QualityProfile
from services.downloader.domain.soulseek import album_query, folder_of, peer_order
from services.downloader.domain.sources import Source
from services.downloader.domain.tagging import tags_for
from services.kernel.contracts import MissKind, PlannedDownload, Track
from services.kernel.library import OutsideLibrary, within

Search = Callable[[str], Awaitable[Sequence[Source]]]
#: Where downloads are staged, inside the library (a hidden folder players skip).
STAGING = ".tunebridge-staging"
#: Why a download whose place is outside the library was not made.
OUTSIDE = "its place is outside the library"
#: Ranks candidates for a track: (index, confidence) best first.
Rank = Callable[[PlannedDownload, Sequence[Source]], Awaitable[list[tuple[int, float]]]]
#: The cover of the track's release, asked for only once the audio is in hand.
Cover = Callable[[], Awaitable[bytes | None]]


@dataclass(frozen=True)
class Outcome:
    """What happened to one planned track."""

    status: Literal["done", "already_there", "review", "failed"]
    path: Path | None = None
    source_url: str | None = None
    confidence: float | None = None
    reason: str | None = None
    candidates: tuple[tuple[str, float], ...] = field(default=())
    #: Why it was missed, grouped: ``not_found`` (no source had it), ``quality`` (nothing
    #: met the profile), ``unsure`` (the match was unsure), ``refused``, ``network``.
    miss: MissKind | None = None
    #: The profile's lossy copy of a lossless download, where one was made.
    copy: Path | None = None


async def download_one(
    item: PlannedDownload,
    library: Path,
    search: Search,
    rank: Rank,
    threshold: float,
    cover: Cover | None = None,
    audio_format: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    plain_into: Path | None = None,
    sources: Sequence[AudioSource] | None = None,
    profile: QualityProfile | None = None,
    query: str | None = None,
    album: AlbumChoice | None = None,
    since: float | None = None,
    copies_into: Path | None = None,
    research_s: float = 60.0,
    on_chosen: Callable[[Source], Awaitable[None]] | None = None,
    picked: tuple[AudioSource, Source] | None = None,
) -> Outcome:
    """Bring ``item`` into ``library`` (see the module docstring); or, with
    ``plain_into``, save the best source there as it is: untagged, under its own title.
    ``sources`` are tried in their order (default: ``search`` through yt-dlp), each file
    held to ``profile`` (default: anything); ``query``, written by a person, replaces
    every source's own searches. With ``album``, a source that gives album folders is
    searched for the whole album first, and the tracks of one album come from the share
    and folder its first track came from, wherever that folder has them. A profile that
    waits (``lower_after_s``) is searched at its first target only, again every
    ``research_s``, until that long after ``since`` (when the download was asked for,
    epoch seconds; default now), then at every target. A lossless file filed in the
    library also gets the profile's lossy copy under ``copies_into``, at the same path.
    ``on_chosen`` hears of the source chosen, before its file is fetched. ``picked``: a
    result a person chose from their own search (and its source), fetched as it is: no
    search, no ranking, no profile.

    The target is checked to resolve inside ``library`` (symlinks followed) before anything
    is searched, and again just before the file is moved there: a request naming
    ``../`` or a link out of the library writes nothing."""
    try:
        target = within(library, item.target_path)
    except OutsideLibrary:
        return Outcome("failed", reason=OUTSIDE)
    if plain_into is None and (existing := _already_there(target, item.track)) is not None:
        return Outcome("already_there", path=existing)
    plugins = list(sources) if sources is not None else [YtDlpSource(search)]
    wanted = profile or ANY
    best_confidence: float | None
    shortlist: tuple[tuple[str, float], ...]
    if picked is not None:
        (plugin, chosen), best_confidence, shortlist = picked, None, ()
    else:
        found = await _choose_in_time(
            item, plugins, rank, threshold, wanted, query, album, since, research_s, cancel
        )
        if found.chosen is None:
            return found.miss
        plugin, chosen, best_confidence = found.chosen
        shortlist = found.shortlist
    if on_chosen is not None:
        await on_chosen(chosen)
    # Staged inside the destination, so the final move is a rename: atomic, never half a file.
    staging = (plain_into or library) / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="download-", dir=staging) as scratch:
        try:
            fetched = await plugin.fetch(chosen, Path(scratch), audio_format, on_progress, cancel)
        except FetchError as error:
            return Outcome(
                "failed",
                reason=str(error),
                source_url=chosen.url,
                candidates=shortlist,
                miss=_MISS_OF_FETCH.get(error.kind, "refused"),
            )
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
        art = await cover() if cover else None
        await asyncio.to_thread(write_tags, fetched.path, tags, art)
        final = _free_name(target.with_suffix(fetched.path.suffix))
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            within(library, final.relative_to(library))
        except OutsideLibrary:
            return Outcome("failed", reason=OUTSIDE, source_url=chosen.url)
        os.replace(fetched.path, final)
    if art:
        write_cover_file(final.parent, art)
    copy = None
    if wanted.lossy_copy and copies_into is not None and chosen.quality and chosen.quality.lossless:
        try:
            copy = await asyncio.to_thread(
                make_lossy_copy,
                final,
                copies_into / final.relative_to(library),
                wanted.lossy_copy,
                tags,
                art,
            )
        except CopyFailed:
            copy = None  # the lossless file is filed all the same
    return Outcome("done", path=final, source_url=chosen.url, confidence=best_confidence, copy=copy)


#: Below this confidence a candidate is another recording, not an unsure match of this one.
UNSURE_FLOOR = 0.5
_MISS_OF_FETCH: dict[str, MissKind] = {
    "refused": "refused",
    "network": "network",
    "failed": "refused",
}


async def _choose_in_time(
    item: PlannedDownload,
    plugins: Sequence[AudioSource],
    rank: Rank,
    threshold: float,
    profile: QualityProfile,
    query: str | None,
    album: AlbumChoice | None,
    since: float | None,
    research_s: float,
    cancel: threading.Event | None,
) -> _Choice:
    """``_choose``, at the first target only while the profile still waits."""
    if profile.waits:
        lower_at = (since if since is not None else time.time()) + profile.lower_after_s
        while (remaining := lower_at - time.time()) > 0:
            top = await _choose(item, plugins, rank, threshold, profile.top_only(), query, album)
            if top.chosen is not None:
                return top
            pause_until = time.monotonic() + min(remaining, research_s)
            while time.monotonic() < pause_until:
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                await asyncio.sleep(min(0.25, max(0.0, pause_until - time.monotonic())))
    return await _choose(item, plugins, rank, threshold, profile, query, album)


@dataclass
class _Choice:
    """The source and file to fetch, or why there is none."""

    chosen: tuple[AudioSource, Source, float] | None = None
    shortlist: tuple[tuple[str, float], ...] = ()
    miss: Outcome = field(default_factory=lambda: Outcome("review", reason="no source found"))


async def _choose(
    item: PlannedDownload,
    plugins: Sequence[AudioSource],
    rank: Rank,
    threshold: float,
    profile: QualityProfile,
    query: str | None = None,
    album: AlbumChoice | None = None,
) -> _Choice:
    """The best file for ``item``: the first target of ``profile`` any source meets, the
    sources asked in their order; among sure matches at that target, a free peer with a
    short queue first. Each source is searched once, query after query until one finds a
    sure match, and only if it can give the targets (no lossless-only search of YouTube)."""
    seen: dict[str, list[tuple[Source, float]]] = {}
    notes: list[str] = []
    errors: list[tuple[str, str]] = []
    kinds: list[str] = []
    best_unsure: tuple[float, tuple[tuple[str, float], ...]] | None = None
    for target_index, target in enumerate(profile.usable):
        for plugin in plugins:
            if target.lossless and not plugin.capabilities.lossless:
                continue
            if plugin.name not in seen:
                seen[plugin.name] = []
                try:
                    for text in _queries(item, plugin, query, album):
                        found = list(await plugin.search(text))
                        if not found:
                            continue
                        ranked = await rank(item, found)
                        scored = [(found[i], confidence) for i, confidence in ranked]
                        seen[plugin.name] += scored
                        if any(c >= threshold for _, c in scored):
                            break
                except SourceUnavailable as error:  # one failing is not the end: try the next
                    errors.append((plugin.name, str(error)))
                    kinds.append(error.kind)
                    continue
            scored = seen[plugin.name]
            sure = [(s, c) for s, c in scored if c >= threshold]
            fit = [(s, c) for s, c in sure if profile.rank_of(s.quality) == target_index]
            if fit:
                pinned = await album.folder(item.track) if album else None
                # In album mode the fullest folder first: the album's other tracks are there.
                sizes = Counter(folder_of(s) for s, _ in scored) if album else Counter()
                fit.sort(
                    key=lambda sc: (
                        folder_of(sc[0]) != pinned,
                        -sizes[folder_of(sc[0])],
                        peer_order(sc[0]),
                        -sc[1],
                    )
                )
                source, confidence = fit[0]
                if album is not None:
                    await album.pin(item.track, folder_of(source))
                shortlist = tuple((s.url, c) for s, c in fit[:5])
                return _Choice((plugin, source, confidence), shortlist)
            if scored and not sure:
                top = max(scored, key=lambda sc: sc[1])
                if best_unsure is None or top[1] > best_unsure[0]:
                    ordered = sorted(scored, key=lambda sc: -sc[1])[:5]
                    best_unsure = (top[1], tuple((s.url, c) for s, c in ordered))
    for name, scored in seen.items():
        sure_files = [s for s, c in scored if c >= threshold]
        if not scored:
            notes.append(f"{name} had nothing")
        elif not sure_files:
            notes.append(f"{name} had no sure match")
        else:
            offered = ", ".join(sorted({_quality_words(s) for s in sure_files}))
            notes.append(f"{name} had only {offered}")
    wanted = profile.describe()
    if any(scored and any(c >= threshold for _, c in scored) for scored in seen.values()):
        reason = f"nothing met the quality profile ({wanted}): " + "; ".join(notes)
        return _Choice(miss=Outcome("review", reason=reason, miss="quality"))
    if best_unsure is not None and best_unsure[0] >= UNSURE_FLOOR:
        confidence, shortlist = best_unsure
        return _Choice(
            miss=Outcome(
                "review",
                reason="no source is surely this recording",
                confidence=confidence,
                candidates=shortlist,
                miss="unsure",
            )
        )
    if errors and not any(seen[name] for name in seen):
        kind: MissKind = "refused" if all(k == "refused" for k in kinds) else "network"
        reason = "; ".join(f"{name}: {text}" for name, text in errors)
        return _Choice(miss=Outcome("failed", reason=reason, miss=kind))
    reason = "no source found"
    if len(seen) > 1:
        reason += ": " + "; ".join(notes)
    return _Choice(
        miss=Outcome(
            "review",
            reason=reason,
            miss="not_found",
            confidence=best_unsure[0] if best_unsure else None,
            candidates=best_unsure[1] if best_unsure else (),
        )
    )


class AlbumChoice(Protocol):
    """Album mode for one run: the share and folder each album's tracks are taken from
    (the first track's), so the album ends up as one consistent folder."""

    async def folder(self, track: Track) -> str | None:
        """The folder this track's album is pinned to, if any yet."""
        ...

    async def pin(self, track: Track, folder: str | None) -> None:
        """Pin this track's album to ``folder`` unless it is pinned already."""
        ...


def album_key(track: Track) -> tuple[str, str]:
    """Which album a track is of, for album mode: (album artist, album), casefolded."""
    artist = (track.album_artists or track.artists or ("",))[0]
    return (artist.casefold(), (track.album or "").casefold())


class AlbumFolders:
    """An ``AlbumChoice`` kept in memory, bounded (the queue keeps its choices in the
    store instead, so a restart or another replica keeps to them)."""

    LIMIT = 2000

    def __init__(self) -> None:
        self._folders: dict[tuple[str, str], str] = {}

    async def folder(self, track: Track) -> str | None:
        return self._folders.get(album_key(track))

    async def pin(self, track: Track, folder: str | None) -> None:
        if folder is None or not track.album:
            return
        if len(self._folders) >= self.LIMIT:
            self._folders.pop(next(iter(self._folders)))
        self._folders.setdefault(album_key(track), folder)


def _queries(
    item: PlannedDownload, plugin: AudioSource, query: str | None, album: AlbumChoice | None
) -> Sequence[str]:
    """What ``plugin`` is searched for: a person's query alone; in album mode, the album
    first where the source gives album folders; else the source's own."""
    if query:
        return (query,)
    own = tuple(plugin.queries(item))
    whole = album_query(item.track) if album and plugin.capabilities.album_folders else None
    return tuple(dict.fromkeys((whole, *own) if whole else own))


def _quality_words(source: Source) -> str:
    quality = source.quality
    if quality is None:
        return "unknown quality"
    words = quality.format.upper()
    if quality.bitrate_kbps and not quality.lossless:
        words += f" {quality.bitrate_kbps} kbps"
    return words


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
