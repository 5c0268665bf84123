"""Where a person opens a playlist on its service: the address of a service's own web
player, built from the playlist's id (None where the service has no public address for
it: a media server's, an Apple Music library playlist, a folder)."""

from __future__ import annotations

import re
from urllib.parse import quote

#: Each service's playlist page, by provider ({id} URL-encoded).
PLAYLIST_PAGES = {
    "spotify": "https://open.spotify.com/playlist/{id}",
    "deezer": "https://www.deezer.com/playlist/{id}",
    "ytmusic": "https://music.youtube.com/playlist?list={id}",
    "tidal": "https://tidal.com/browse/playlist/{id}",
}
#: Ids as each service writes them: anything else is not linked.
_IDS = {
    "spotify": re.compile(r"^[0-9A-Za-z]{1,64}$"),
    "deezer": re.compile(r"^\d{1,20}$"),
    "ytmusic": re.compile(r"^[0-9A-Za-z_-]{1,128}$"),
    "tidal": re.compile(r"^[0-9A-Za-z-]{1,64}$"),
}


def playlist_url(provider: str, playlist_id: str | None) -> str | None:
    """The playlist's page on ``provider``, or None."""
    page, shape = PLAYLIST_PAGES.get(provider), _IDS.get(provider)
    if not playlist_id or page is None or shape is None:
        return None
    if provider == "ytmusic":
        playlist_id = playlist_id.removeprefix("VL")  # a browse id names the same list
    if not shape.fullmatch(playlist_id):
        return None
    return page.format(id=quote(playlist_id, safe=""))
