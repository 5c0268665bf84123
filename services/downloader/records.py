"""The downloader's own records (no other service reads them)."""

from __future__ import annotations

import msgspec

from services.downloader.domain.sources import Source


class AlbumFoldersRecord(msgspec.Struct, kw_only=True):
    """A run's album-mode choices (bucket ``album_folders``, key ``user.run``): the share
    and folder each album's tracks are taken from, by ``artist\\nalbum`` (casefolded)."""

    user_id: str
    run_id: str
    folders: dict[str, str] = msgspec.field(default_factory=dict)


def album_folders_key(user_id: str, run_id: str) -> str:
    return f"{user_id}.{run_id}"


class AudioSearchRecord(msgspec.Struct, kw_only=True):
    """A person's audio search (bucket ``audio_searches``, key ``user.search``): what was
    searched and each result as its source found it, so a download naming one by index
    fetches that very upload or file."""

    user_id: str
    query: str
    results: list[Source] = msgspec.field(default_factory=list)


def audio_search_key(user_id: str, search_id: str) -> str:
    return f"{user_id}.{search_id}"
