"""Reading a music folder's tags with mutagen, incrementally.

Files whose modification time and size have not changed since the last scan are not
read again. Files that give no track are skipped with a reason: empty files, files that
are not audio whatever their extension says, files whose tags cannot be parsed, links
that lead out of the folder, and names that are not UTF-8 (Linux allows any bytes in a
name; such a name is shown with its odd bytes escaped, ``Bj\\xf6rk.mp3``, for the person
to rename it, and the rest of the folder is scanned as usual).

The folder must lie inside a library root (``services/kernel/library.py``), checked
again here with symlinks followed, whoever asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import mutagen

from services.connectors.domain.scan import (
    NOT_UTF8,
    IndexedFile,
    ScanIndex,
    ScanStats,
    readable_name,
    unchanged,
)
from services.connectors.domain.tags import AUDIO_EXTENSIONS, track_from_tags
from services.kernel.contracts import Track
from services.kernel.library import OutsideLibrary, allowed_folder, inside

log = logging.getLogger("tunebridge.connectors.folder")


class FolderError(ValueError):
    """The folder cannot be scanned; the message says why, for a person."""


def _read(path: Path, size: int) -> tuple[Track | None, str | None]:
    if size == 0:
        return None, "empty file"
    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError:
        return None, "unreadable tags"
    except Exception:  # mutagen raises many types on hostile files
        log.warning("unreadable audio file", extra={"file": path.name}, exc_info=True)
        return None, "unreadable file"
    if audio is None:
        return None, "not an audio file"
    tags = {key.lower(): [str(v) for v in value] for key, value in (audio.tags or {}).items()}
    return track_from_tags(tags, path, getattr(audio.info, "length", None)), None


def scan_folder(
    folder: str, previous: ScanIndex | None = None, roots: Sequence[str] | None = None
) -> tuple[list[Track], ScanIndex, ScanStats]:
    """Every audio file under ``folder`` as a track (sorted by path), the index for the
    next scan, and how this one went. ``roots``: the library roots it must lie in.

    Symlinked directories are not followed, so a loop of links cannot make it endless.
    """
    if not Path(folder).is_absolute():
        raise FolderError(f"folder must be an absolute path: {folder!r}")
    if roots is not None:
        try:
            allowed_folder(folder, roots)
        except OutsideLibrary as refused:
            raise FolderError(str(refused)) from None
    root = Path(folder)
    if not root.is_dir():
        raise FolderError(f"folder not found or not a directory: {folder}")
    before = previous.files if previous and previous.folder == folder else {}
    index = ScanIndex(folder=folder)
    stats = ScanStats()
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            try:
                status = path.stat()
            except OSError:
                continue  # vanished while scanning
            relative, odd = readable_name(str(path.relative_to(root)))
            known = before.get(relative)
            if odd or (path.is_symlink() and not inside(path, root)):
                reason = NOT_UTF8 if odd else "a link to outside the folder"
                index.files[relative] = IndexedFile(
                    mtime_ns=status.st_mtime_ns, size=status.st_size, skipped=reason
                )
                stats.skipped += 1
                continue
            if unchanged(known, status.st_mtime_ns, status.st_size):
                assert known is not None
                index.files[relative] = known
                stats.unchanged += 1
            else:
                track, skipped = _read(path, status.st_size)
                index.files[relative] = IndexedFile(
                    mtime_ns=status.st_mtime_ns, size=status.st_size, track=track, skipped=skipped
                )
                stats.read += 1
            stats.skipped += 1 if index.files[relative].skipped else 0
    stats.removed = len(set(before) - set(index.files))
    tracks = [entry.track for entry in index.files.values() if entry.track is not None]
    return tracks, index, stats
