"""Reading export files people already have, with no developer account needed.

- Spotify's "download your data": ``YourLibrary.json`` (liked tracks), ``Playlist1.json``
  (playlists), and streaming history (``StreamingHistory*.json``, and the extended
  ``Streaming_History_Audio_*.json``).
- CSV exports, Exportify-style columns and the usual variants (any order, comma, semicolon
  or tab separated, with or without a byte-order mark).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from services.connectors.domain.playlists import PlaylistError
from services.kernel.contracts import Track

_SPOTIFY_TRACK_URI = re.compile(r"^spotify:track:([0-9A-Za-z]{22})$")


def _spotify_id(uri: Any) -> str | None:
    match = _SPOTIFY_TRACK_URI.match(uri) if isinstance(uri, str) else None
    return match.group(1) if match else None


def _track(title: Any, artist: Any, album: Any, uri: Any = None, **extra: Any) -> Track | None:
    if not isinstance(title, str) or not title.strip():
        return None
    spotify_id = _spotify_id(uri)
    return Track(
        title=title.strip(),
        artists=(artist.strip(),) if isinstance(artist, str) and artist.strip() else (),
        album=album.strip() if isinstance(album, str) and album.strip() else None,
        provider="spotify" if spotify_id else None,
        provider_id=spotify_id,
        **extra,
    )


def spotify_library(document: Mapping[str, Any]) -> list[Track]:
    """Liked tracks of ``YourLibrary.json``."""
    found = (
        _track(t.get("track"), t.get("artist"), t.get("album"), t.get("uri"))
        for t in document.get("tracks") or []
        if isinstance(t, Mapping)
    )
    return [track for track in found if track]


def spotify_playlists(document: Mapping[str, Any]) -> list[tuple[str, list[Track]]]:
    """Each playlist of ``Playlist*.json`` with its tracks (episodes and local files left out)."""
    playlists = []
    for playlist in document.get("playlists") or []:
        if not isinstance(playlist, Mapping):
            continue
        tracks = []
        for item in playlist.get("items") or []:
            entry = item.get("track") if isinstance(item, Mapping) else None
            if isinstance(entry, Mapping):
                track = _track(
                    entry.get("trackName"),
                    entry.get("artistName"),
                    entry.get("albumName"),
                    entry.get("trackUri"),
                )
                if track:
                    tracks.append(track)
        playlists.append((str(playlist.get("name") or "Untitled"), tracks))
    return playlists


def spotify_history(entries: Iterable[Any]) -> list[Track]:
    """Plays of a streaming history file, basic or extended, oldest first."""
    plays = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        if "master_metadata_track_name" in entry:  # extended history
            track = _track(
                entry.get("master_metadata_track_name"),
                entry.get("master_metadata_album_artist_name"),
                entry.get("master_metadata_album_album_name"),
                entry.get("spotify_track_uri"),
            )
            when = entry.get("ts")
        else:
            track = _track(entry.get("trackName"), entry.get("artistName"), None)
            when = entry.get("endTime")
        if track:
            plays.append((str(when or ""), track))
    return [track for _, track in sorted(plays, key=lambda play: play[0])]


def spotify_export(data: bytes) -> list[Track]:
    """The tracks of any Spotify export file: every playlist's tracks in order (a file
    usually holds one playlist or several the user picks from), liked tracks, or plays."""
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        raise PlaylistError(f"not a Spotify export (invalid JSON: {error})") from None
    if isinstance(document, list):
        return spotify_history(document)
    if isinstance(document, Mapping) and "playlists" in document:
        return [track for _, tracks in spotify_playlists(document) for track in tracks]
    if isinstance(document, Mapping) and "tracks" in document:
        return spotify_library(document)
    raise PlaylistError("not a Spotify export: expected YourLibrary, Playlist or StreamingHistory")


#: Column names seen in CSV exports, by field (compared case- and space-insensitively).
CSV_COLUMNS = {
    "title": ("track name", "title", "name", "track", "song", "song name", "track title"),
    "artists": ("artist name(s)", "artist name", "artists", "artist", "artist(s)"),
    "album": ("album name", "album", "album title"),
    "album_artists": ("album artist name(s)", "album artist", "album artists"),
    "duration": ("track duration (ms)", "duration (ms)", "duration_ms", "duration", "length"),
    "isrc": ("isrc",),
    "explicit": ("explicit",),
    "track_number": ("track number", "track no", "tracknumber", "#"),
    "disc_number": ("disc number", "disc", "discnumber"),
    "release_date": ("album release date", "release date", "date", "year"),
    "uri": ("track uri", "spotify uri", "uri"),
    "genres": ("genres", "genre", "artist genres"),
    "artwork": ("album image url", "image url", "artwork url", "cover url"),
}
_MULTI_SEPARATOR = re.compile(r"\s*[;,]\s*")


def _duration_ms(value: str, in_ms: bool) -> int | None:
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        number = float(value)
        # A column that says "(ms)" is in milliseconds; a bare "duration" under three
        # hours' worth of seconds is in seconds.
        return int(number if in_ms or number > 10_800 else number * 1000)
    match = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})", value)
    if match:
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return ((hours * 60 + minutes) * 60 + seconds) * 1000
    return None


def _number(value: str) -> int | None:
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def parse_csv(text: str) -> tuple[list[Track], int]:
    """Tracks of a CSV export, and how many rows had no title."""
    text = text.lstrip("\ufeff")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # The reader's own limit (128 KiB a field) would fail the whole file for one bad
    # field; the document is bounded already, and an over-long entry is left out later.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _csv_rows(reader)
    except csv.Error as error:
        raise PlaylistError(
            f"the CSV file cannot be read at line {reader.line_num}: {error}"
        ) from None


def _csv_rows(reader: Any) -> tuple[list[Track], int]:
    header = next(reader, None)
    if not header:
        raise PlaylistError("the CSV file is empty")
    names = [" ".join(column.strip().lower().split()) for column in header]
    where = {
        field: next((names.index(a) for a in aliases if a in names), None)
        for field, aliases in CSV_COLUMNS.items()
    }
    duration_column = where["duration"]
    duration_in_ms = duration_column is not None and "ms" in names[duration_column]
    if where["title"] is None:
        raise PlaylistError(
            "no title column in the CSV header (expected one of: "
            + ", ".join(repr(a) for a in CSV_COLUMNS["title"][:3])
            + ")"
        )
    tracks: list[Track] = []
    skipped = 0
    for row in reader:

        def cell(field: str, row: list[str] = row) -> str:
            index = where[field]
            return row[index].strip() if index is not None and index < len(row) else ""

        title = cell("title")
        if not title:
            skipped += 1 if any(c.strip() for c in row) else 0
            continue
        uri = cell("uri")
        spotify_id = _spotify_id(uri) or (uri if re.fullmatch(r"[0-9A-Za-z]{22}", uri) else None)
        explicit = cell("explicit").lower()
        tracks.append(
            Track(
                title=title,
                artists=tuple(a for a in _MULTI_SEPARATOR.split(cell("artists")) if a),
                album=cell("album") or None,
                album_artists=tuple(a for a in _MULTI_SEPARATOR.split(cell("album_artists")) if a),
                track_number=_number(cell("track_number")),
                disc_number=_number(cell("disc_number")),
                duration_ms=_duration_ms(cell("duration"), duration_in_ms),
                isrc=cell("isrc").replace("-", "").upper() or None,
                explicit={
                    "true": True,
                    "false": False,
                    "yes": True,
                    "no": False,
                    "1": True,
                    "0": False,
                }.get(explicit),
                release_date=cell("release_date") or None,
                genres=tuple(g for g in _MULTI_SEPARATOR.split(cell("genres")) if g),
                artwork_urls=(cell("artwork"),) if cell("artwork") else (),
                provider="spotify" if spotify_id else "csv",
                provider_id=spotify_id,
            )
        )
    if not tracks:
        raise PlaylistError("the CSV file has no rows with a title")
    return tracks, skipped
