"""Reading a music folder's tags with mutagen."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import mutagen

from services.connectors.domain.tags import AUDIO_EXTENSIONS, track_from_tags
from services.kernel.contracts import Track

log = logging.getLogger("tunebridge.connectors.folder")


class FolderError(ValueError):
    """The folder cannot be scanned; the message says why, for a person."""


def scan_folder(folder: str) -> tuple[list[Track], int]:
    """Every audio file under ``folder`` as a track, and how many could not be read.

    Files are visited in a stable (sorted) order; symlinked directories are not followed,
    so a loop of links cannot make the scan endless.
    """
    root = Path(folder)
    if not root.is_absolute():
        raise FolderError(f"folder must be an absolute path: {folder!r}")
    if not root.is_dir():
        raise FolderError(f"folder not found or not a directory: {folder}")
    tracks: list[Track] = []
    unreadable = 0
    for directory, subdirectories, files in os.walk(root, onerror=None):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            try:
                audio = mutagen.File(path, easy=True)
            except Exception:  # mutagen raises many types on corrupt files
                audio = None
            if audio is None:
                unreadable += 1
                tags: dict[str, list[str]] = {}
                duration = None
            else:
                tags = {key.lower(): list(value) for key, value in (audio.tags or {}).items()}
                duration = getattr(audio.info, "length", None)
            tracks.append(track_from_tags(tags, path, duration))
    return tracks, unreadable
