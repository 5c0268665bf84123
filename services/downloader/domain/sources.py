"""Audio sources: their search results as candidates the matcher can rank (YouTube (Music)
entries here; Soulseek's in ``soulseek``), and what each kind of source can do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.downloader.domain.quality import AudioQuality
from services.kernel.contracts import Track

#: Where to search: YouTube Music's songs first, then plain YouTube ({query} URL-encoded,
#: {raw} as typed, {results} how many).
DEFAULT_TARGETS = (
    "https://music.youtube.com/search?q={query}#songs",
    "ytsearch{results}:{raw}",
)


@dataclass(frozen=True)
class Capabilities:
    """What an audio source can give: shown to the user, and used to skip a source that
    cannot meet a quality target (YouTube has no lossless audio)."""

    lossless: bool
    album_folders: bool  # whole album folders from one place, not only single files
    speed: str = "fast"  # "fast" (seconds) or "slow" (a peer's queue: minutes)


@dataclass(frozen=True)
class Peer:
    """Who shares a file on a peer-to-peer network, and how soon they would send it."""

    username: str
    remote_path: str  # the file as the peer names it
    size: int = 0
    free_slot: bool = False
    queue_length: int = 0
    speed_bps: int = 0


@dataclass(frozen=True)
class Source:
    """A downloadable upload and what it claims to be."""

    url: str
    track: Track
    upload_title: str = ""  # as the uploader wrote it (a plain download keeps this name)
    origin: str = "youtube"  # the audio source that found it
    quality: AudioQuality | None = None  # None: not known before the download
    peer: Peer | None = None


def is_official_audio(entry: Mapping[str, Any]) -> bool:
    """An auto-generated "Artist - Topic" upload (YouTube Music's "song"): the studio audio,
    no video intro."""
    channel = str(entry.get("channel") or entry.get("uploader") or "")
    return channel.endswith(" - Topic") or bool(entry.get("track") and entry.get("artists"))


def source_from_entry(entry: Mapping[str, Any]) -> Source | None:
    """A yt-dlp search entry as a candidate (None without a URL or a title)."""
    # A search entry's own "url" is the upload (flat YouTube entries) or the media itself
    # (a playlist document); "webpage_url" may be the search page shared by every entry.
    url = entry.get("url") or entry.get("webpage_url")
    title = entry.get("track") or entry.get("title")
    if not url or not title:
        return None
    artists: Sequence[str] = entry.get("artists") or [
        entry.get("artist") or entry.get("channel") or entry.get("uploader") or ""
    ]
    duration = entry.get("duration")
    bitrate = entry.get("abr")
    return Source(
        url=str(url),
        upload_title=str(entry.get("title") or title),
        # YouTube's audio is lossy whatever the container (opus unless the entry says).
        quality=AudioQuality(
            str(entry.get("acodec") or "opus").split(".")[0],
            int(float(bitrate)) if bitrate else None,
        ),
        track=Track(
            title=str(title),
            artists=tuple(str(a) for a in artists if a),
            album=entry.get("album"),
            duration_ms=int(float(duration) * 1000) if duration else None,
            kind="song" if is_official_audio(entry) else "video",
            views=entry.get("view_count"),
            provider="youtube",
            provider_id=str(entry.get("id") or url),
        ),
    )


def search_terms(track: Track) -> str:
    """What to search for: the artists and the title, as people type them."""
    artists = " ".join(track.artists[:2])
    return f"{artists} {track.title}".strip()
