"""One door for every playlist document a person can bring.

Whatever a document says is shown back (in the run's report, the web UI, file tags), so
every entry comes out printable and within the bounds a track typed into the API has; an
entry past them is left out and said why, never the whole document refused for it.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from services.connectors.domain.exports import parse_csv, spotify_export
from services.connectors.domain.playlists import parse_json, parse_m3u
from services.kernel.contracts import PlaylistFormat, Track
from services.kernel.text import MAX_NAME_CHARS, MAX_TITLE_CHARS, printable

#: A file or URL an entry names: as long as a path may be.
MAX_LOCATION_CHARS = 4096
#: Reasons kept per document (the count says how many entries were left out in all).
MAX_REASONS = 5


class PlaylistRead(NamedTuple):
    """A document's tracks, how many of its entries were left out, and why (the first
    ``MAX_REASONS``, each naming the entry)."""

    tracks: list[Track]
    skipped: int
    reasons: tuple[str, ...]


def read_playlist(playlist_format: PlaylistFormat, data: bytes) -> PlaylistRead:
    """The tracks of a document, with what could not be read.

    Raises ``PlaylistError`` with a reason a person can act on.
    """
    if playlist_format == "m3u":
        parsed, untitled = parse_m3u(data.decode("utf-8", errors="replace"))
    elif playlist_format == "csv":
        parsed, untitled = parse_csv(data.decode("utf-8", errors="replace"))
    elif playlist_format == "spotify":
        parsed, untitled = spotify_export(data), 0
    else:
        parsed, untitled = parse_json(data), 0
    tracks: list[Track] = []
    untitled_said = "1 entry has" if untitled == 1 else f"{untitled} entries have"
    reasons = [f"{untitled_said} no title"] if untitled else []
    for number, track in enumerate(parsed, start=1):
        why = _refused(track)
        if why is None:
            tracks.append(_printable(track))
        elif len(reasons) < MAX_REASONS:
            reasons.append(f"track {number} ({_shown(track.title)}): {why}")
    return PlaylistRead(tracks, untitled + len(parsed) - len(tracks), tuple(reasons))


def _shown(title: str, length: int = 40) -> str:
    text = printable(title)
    return f'"{text[:length]}…"' if len(text) > length else f'"{text}"'


def _refused(track: Track) -> str | None:
    if not printable(track.title).strip():
        return "its title is only control characters"
    if len(track.title) > MAX_TITLE_CHARS:
        return f"its title is longer than {MAX_TITLE_CHARS:,} characters"
    names = [*track.artists, *track.album_artists, track.album or ""]
    if any(len(name) > MAX_NAME_CHARS for name in names):
        return f"an artist or album name is longer than {MAX_NAME_CHARS:,} characters"
    if len(track.provider_id or "") > MAX_LOCATION_CHARS:
        return f"its location is longer than {MAX_LOCATION_CHARS:,} characters"
    return None


def _printable(track: Track) -> Track:
    return msgspec.structs.replace(
        track,
        title=printable(track.title),
        artists=tuple(printable(a) for a in track.artists),
        album=printable(track.album) if track.album else track.album,
        album_artists=tuple(printable(a) for a in track.album_artists),
    )
