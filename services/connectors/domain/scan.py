"""What a folder scan remembers between runs, so the next one reads only what changed."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import SkippedFile, Track

#: Skipped files listed by name in a report; beyond this only the count is kept.
REPORTED_SKIPS = 100
NOT_UTF8 = "its name is not valid UTF-8: rename it"


def readable_name(name: str) -> tuple[str, bool]:
    """A file name as a person can read it, and whether it was not UTF-8.

    Python gives undecodable bytes of a name as lone surrogates (PEP 383), which cannot be
    stored or sent; they are shown escaped instead (``Bj\\xf6rk.mp3``)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace"), True
    return name, False


class IndexedFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file as last seen: its identity for change detection, and what it gave."""

    mtime_ns: int
    size: int
    track: Track | None = None
    skipped: str | None = None


class ScanIndex(msgspec.Struct, kw_only=True):
    """Every audio-looking file of a folder, by path relative to the folder."""

    folder: str
    files: dict[str, IndexedFile] = msgspec.field(default_factory=dict)


class ScanStats(msgspec.Struct, kw_only=True):
    """How a scan went."""

    read: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0


def unchanged(previous: IndexedFile | None, mtime_ns: int, size: int) -> bool:
    """A file whose modification time and size are as before is not read again."""
    return previous is not None and previous.mtime_ns == mtime_ns and previous.size == size


def report_skips(index: ScanIndex) -> list[SkippedFile]:
    """The skipped files, sorted, at most ``REPORTED_SKIPS`` of them."""
    skipped = [
        SkippedFile(path, entry.skipped) for path, entry in index.files.items() if entry.skipped
    ]
    return sorted(skipped, key=lambda file: file.path)[:REPORTED_SKIPS]
