"""Files beside the music: the album's cover and the playlists' M3U8s."""

from __future__ import annotations

from pathlib import Path

from services.kernel.library import within


def write_cover_file(folder: Path, cover: bytes) -> Path:
    """``cover.jpg`` beside the tracks (kept if already there: one album, one cover)."""
    target = folder / ("cover.png" if cover.startswith(b"\x89PNG") else "cover.jpg")
    if not target.exists():
        target.write_bytes(cover)
    return target


def write_playlist(library: Path, relative: str, text: str) -> Path:
    """Write a playlist file atomically (a reader never sees half of it), only ever inside
    ``library`` (``OutsideLibrary`` otherwise, symlinks followed)."""
    target = within(library, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target = within(library, relative)  # again, now that its folders exist
    staged = target.with_name(f".{target.name}.tmp")
    staged.write_text(text, encoding="utf-8")
    staged.replace(target)
    return target
