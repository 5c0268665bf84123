"""Planning downloads: what to search for and where each track will be filed."""

from __future__ import annotations

from services.downloader.domain.paths import DEFAULT_LAYOUT, Layout
from services.kernel.contracts import PlannedDownload, Track


def search_query(track: Track) -> str:
    """What to ask YouTube Music for: artists and title, the way people type it."""
    artists = ", ".join(track.artists)
    return f"{artists} - {track.title}" if artists else track.title


def plan(
    tracks: tuple[Track, ...], positions: tuple[int, ...], ext: str, layout: Layout = DEFAULT_LAYOUT
) -> list[PlannedDownload]:
    """One planned download per track, in order."""
    return [
        PlannedDownload(
            position=position,
            track=track,
            search_query=search_query(track),
            target_path=layout.path_for(track, ext),
        )
        for track, position in zip(tracks, positions, strict=True)
    ]
