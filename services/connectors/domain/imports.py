"""One door for every playlist document a person can bring."""

from __future__ import annotations

from services.connectors.domain.exports import parse_csv, spotify_export
from services.connectors.domain.playlists import parse_json, parse_m3u
from services.kernel.contracts import PlaylistFormat, Track


def read_playlist(playlist_format: PlaylistFormat, data: bytes) -> tuple[list[Track], int]:
    """The tracks of a document and how many of its entries could not be read.

    Raises ``PlaylistError`` with a reason a person can act on.
    """
    if playlist_format == "m3u":
        return parse_m3u(data.decode("utf-8", errors="replace"))
    if playlist_format == "csv":
        return parse_csv(data.decode("utf-8", errors="replace"))
    if playlist_format == "spotify":
        return spotify_export(data), 0
    return parse_json(data), 0
