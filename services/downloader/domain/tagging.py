"""Which tags a downloaded file gets, decided once, for every format.

The names are MusicBrainz Picard's, so Plex, Jellyfin and Navidrome read them. Remixes
follow the users' rule (seed S2): the remixer is the track artist and the original artist
a contributing artist, so "Titanium (Alesso Remix)" by David Guetta & Sia is credited
Alesso, David Guetta, Sia (album artist unchanged).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.kernel.contracts import Track

#: "(Alesso Remix)", "[Alesso Remix]", "- Alesso Remix".
_REMIX = re.compile(
    r"[(\[\-\u2013]\s*([^()\[\]]+?)\s+(?:re-?mix|rework|flip|bootleg)\s*[)\]]?\s*$", re.I
)
_NOT_A_REMIXER = re.compile(r"^(?:original|radio|club|extended|album|official)$", re.I)
#: Tags hold text people read; control characters only hide or break it.
MAX_TAG_LENGTH = 1000


@dataclass(frozen=True)
class TagSet:
    """Everything written into one file (empty values are left out)."""

    title: str
    artists: tuple[str, ...] = ()
    album_artists: tuple[str, ...] = ()
    album: str | None = None
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    date: str | None = None
    genres: tuple[str, ...] = ()
    isrc: str | None = None
    label: str | None = None
    explicit: bool | None = None
    source_url: str | None = None

    @property
    def artist(self) -> str:
        """The display credit ("A, B & C"), as players show one line."""
        names = list(self.artists)
        return (
            names[0]
            if len(names) == 1
            else ", ".join(names[:-1]) + " & " + names[-1]
            if names
            else ""
        )


def clean(text: str | None, limit: int = MAX_TAG_LENGTH) -> str | None:
    """Tag text: NFC, no control characters, bounded length."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C")).strip()
    return text[:limit] or None


def remixer_of(title: str) -> str | None:
    """Who remixed, when the title says so."""
    found = _REMIX.search(title)
    if not found or _NOT_A_REMIXER.match(found.group(1).strip()):
        return None
    return found.group(1).strip()


def _count(value: int | None) -> int | None:
    """A track or disc count worth writing (a provider's 0 means it does not know)."""
    return value if value is not None and 0 < value < 10_000 else None


def tags_for(track: Track, *, source_url: str | None = None) -> TagSet:
    """The tags for a downloaded ``track``, from the streaming service's metadata (the
    release's label and track and disc counts included, when its catalog gave them)."""
    credited = [a for a in (clean(name, 300) for name in track.artists) if a]
    artists = list(credited)
    remixer = remixer_of(track.title)
    if remixer:
        artists = [remixer, *(a for a in credited if a.casefold() != remixer.casefold())]
    album_artists = [a for a in (clean(name, 300) for name in track.album_artists) if a]
    return TagSet(
        title=clean(track.title) or "Unknown",
        artists=tuple(artists),
        # The album belongs to the original artist, also on a remix.
        album_artists=tuple(album_artists or credited[:1]),
        album=clean(track.album),
        track_number=track.track_number,
        track_total=_count(track.track_total),
        disc_number=track.disc_number,
        disc_total=_count(track.disc_total),
        date=clean(track.release_date, 10),
        genres=tuple(g for g in (clean(x, 100) for x in track.genres) if g),
        isrc=clean(track.isrc, 12),
        label=clean(track.label, 300),
        explicit=track.explicit,
        source_url=clean(source_url, 2000),
    )
