"""Library paths from templates, safe against whatever metadata providers send.

Defaults follow the collector's layout users asked for (seed S2):
``{albumartist}/{albumartist} - {album}/{track:02} {title}.{ext}`` for album tracks and
``{artist}/{artist} - {title}/{title}.{ext}`` for singles.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from services.kernel.contracts import Track

ALBUM_TEMPLATE = "{albumartist}/{albumartist} - {album}/{track:02} {title}.{ext}"
SINGLE_TEMPLATE = "{artist}/{artist} - {title}/{title}.{ext}"

#: Most filesystems allow 255 bytes per name; leave room for suffixes like " (2)".
MAX_COMPONENT_BYTES = 180
#: Characters that are separators or forbidden on Windows/SMB shares, where libraries often live.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
UNKNOWN = "Unknown"


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip()


def safe_component(value: str, limit: int = MAX_COMPONENT_BYTES) -> str:
    """One path component from untrusted text: no separators, control characters,
    traversal, reserved device names or over-long names; never empty."""
    text = unicodedata.normalize("NFC", value)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = _FORBIDDEN.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    text = _truncate_utf8(text, limit).strip(" .")
    if not text or set(text) <= {"."}:
        return UNKNOWN
    if _RESERVED.match(text):
        text = f"_{text}"
    return text


#: Fields a template may use; ``track`` and ``disc`` are numbers (``{track:02}``).
TEMPLATE_FIELDS = frozenset(
    {"artist", "albumartist", "album", "title", "ext", "track", "disc", "year"}
)
DISC_FOLDER = "Disc {disc}"


class TemplateError(ValueError):
    """A layout template that cannot work; the message says why."""


def check_template(template: str) -> str:
    """The template, if it names known fields, is relative and ends in ``.{ext}``."""
    if template.startswith("/") or any(part in ("", ".", "..") for part in template.split("/")):
        raise TemplateError(f"{template!r}: parts must be non-empty, relative, without '..'")
    if not template.endswith(".{ext}"):
        raise TemplateError(f"{template!r}: must end with '.{{ext}}'")
    for name in re.findall(r"{(\w+)[^}]*}", template):
        if name not in TEMPLATE_FIELDS:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            raise TemplateError(f"{template!r}: unknown field {{{name}}}; known: {known}")
    try:
        template.format(
            artist="a", albumartist="a", album="a", title="a", ext="e", track=1, disc=1, year="2000"
        )
    except (ValueError, IndexError, KeyError) as error:
        raise TemplateError(f"{template!r}: {error}") from None
    return template


def render(template: str, track: Track, ext: str) -> str:
    """A relative library path for ``track``: each field sanitised, the template's own
    slashes kept as the only separators."""
    artist = track.artists[0] if track.artists else UNKNOWN
    fields = {
        "artist": safe_component(artist),
        "albumartist": safe_component(track.album_artists[0] if track.album_artists else artist),
        "album": safe_component(track.album or UNKNOWN),
        "title": safe_component(track.title),
        "ext": safe_component(ext, 16),
        "year": safe_component((track.release_date or "")[:4] or UNKNOWN),
    }
    parts = []
    for part in template.split("/"):
        rendered = part.format(track=track.track_number or 0, disc=track.disc_number or 1, **fields)
        parts.append(safe_component(rendered))
    return str(PurePosixPath(*parts))


@dataclass(frozen=True)
class Layout:
    """How the library is laid out (S2's defaults; both templates are settings)."""

    album_template: str = ALBUM_TEMPLATE
    single_template: str = SINGLE_TEMPLATE

    def __post_init__(self) -> None:
        check_template(self.album_template)
        check_template(self.single_template)

    def path_for(self, track: Track, ext: str) -> str:
        """Album tracks by album (in a disc folder when the album has several discs, as its
        catalog's disc count or the track's own disc number says), anything else as a
        single. An album track is one with album data and a number."""
        if not (track.album and track.track_number):
            return render(self.single_template, track, ext)
        path = PurePosixPath(render(self.album_template, track, ext))
        if (track.disc_total or 1) > 1 or (track.disc_number or 1) > 1:
            disc = safe_component(DISC_FOLDER.format(disc=track.disc_number or 1))
            path = path.parent / disc / path.name
        return str(path)


#: S2's layout, the default.
DEFAULT_LAYOUT = Layout()


def target_path(track: Track, ext: str) -> str:
    """The default layout's path for ``track``."""
    return DEFAULT_LAYOUT.path_for(track, ext)


def with_suffix_number(path: PurePosixPath, number: int) -> PurePosixPath:
    """``03 Intro.opus`` -> ``03 Intro (2).opus``: a name for a different track that
    would otherwise land on an existing one."""
    return path.with_name(f"{path.stem} ({number}){path.suffix}")
