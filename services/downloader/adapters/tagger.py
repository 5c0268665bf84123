"""Writing tags with mutagen, in each format's own way, with Picard's names.

MP3: ID3v2.4 frames (multi-valued text frames, ``TXXX:ARTISTS``, ``APIC`` front cover).
FLAC, Ogg Vorbis and Opus: Vorbis comments (``ARTISTS``,
``TRACKTOTAL``/``TOTALTRACKS``...), pictures as FLAC blocks or ``METADATA_BLOCK_PICTURE``.
M4A: iTunes atoms (``trkn``, ``disk``, ``rtng``, ``covr``, freeform
``----:com.apple.iTunes:ISRC``...). Existing tags are replaced, not merged.
"""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path

from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TPUB,
    TRCK,
    TSRC,
    TXXX,
    WOAS,
    ID3NoHeaderError,
)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from services.downloader.domain.tagging import TagSet

#: Formats we tag, by file extension.
TAGGABLE = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4"})


class UntaggableFile(ValueError):
    """The file's format is not one we tag."""


def _numbered(number: int | None, total: int | None) -> str | None:
    if number is None:
        return None
    return f"{number}/{total}" if total else str(number)


def _cover_mime(cover: bytes) -> str:
    return "image/png" if cover.startswith(b"\x89PNG") else "image/jpeg"


def _id3(path: Path, tags: TagSet, cover: bytes | None) -> None:
    with contextlib.suppress(ID3NoHeaderError):  # no old tags to clear
        ID3(path).delete(path)
    id3 = ID3()
    text = {
        TIT2: [tags.title],
        TPE1: list(tags.artists),
        TPE2: list(tags.album_artists),
        TALB: [tags.album] if tags.album else [],
        TCON: list(tags.genres),
        TSRC: [tags.isrc] if tags.isrc else [],
        TPUB: [tags.label] if tags.label else [],
        TDRC: [tags.date] if tags.date else [],
    }
    for frame, values in text.items():
        if values:
            id3.add(frame(encoding=3, text=values))
    if (track := _numbered(tags.track_number, tags.track_total)) is not None:
        id3.add(TRCK(encoding=3, text=[track]))
    if (disc := _numbered(tags.disc_number, tags.disc_total)) is not None:
        id3.add(TPOS(encoding=3, text=[disc]))
    if tags.artists:
        id3.add(TXXX(encoding=3, desc="ARTISTS", text=list(tags.artists)))
    if tags.explicit is not None:
        id3.add(TXXX(encoding=3, desc="ITUNESADVISORY", text=["1" if tags.explicit else "2"]))
    if tags.source_url:
        id3.add(WOAS(url=tags.source_url))
    if cover:
        id3.add(APIC(encoding=3, mime=_cover_mime(cover), type=3, desc="Cover", data=cover))
    id3.save(path, v2_version=4)


def _vorbis_comments(tags: TagSet) -> dict[str, list[str]]:
    comments = {
        "TITLE": [tags.title],
        "ARTIST": list(tags.artists),
        "ARTISTS": list(tags.artists),
        "ALBUMARTIST": list(tags.album_artists),
        "ALBUM": [tags.album] if tags.album else [],
        "DATE": [tags.date] if tags.date else [],
        "GENRE": list(tags.genres),
        "ISRC": [tags.isrc] if tags.isrc else [],
        "LABEL": [tags.label] if tags.label else [],
        "SOURCE": [tags.source_url] if tags.source_url else [],
    }
    if tags.track_number is not None:
        comments["TRACKNUMBER"] = [str(tags.track_number)]
    if tags.track_total:
        comments["TRACKTOTAL"] = comments["TOTALTRACKS"] = [str(tags.track_total)]
    if tags.disc_number is not None:
        comments["DISCNUMBER"] = [str(tags.disc_number)]
    if tags.disc_total:
        comments["DISCTOTAL"] = comments["TOTALDISCS"] = [str(tags.disc_total)]
    if tags.explicit is not None:
        comments["ITUNESADVISORY"] = ["1" if tags.explicit else "2"]
    return {key: values for key, values in comments.items() if values}


def _picture(cover: bytes) -> Picture:
    picture = Picture()
    picture.type = 3  # front cover
    picture.mime = _cover_mime(cover)
    picture.desc = "Cover"
    picture.data = cover
    return picture


def _vorbis(audio: FLAC | OggVorbis | OggOpus, tags: TagSet, cover: bytes | None) -> None:
    audio.delete()
    if isinstance(audio, FLAC):
        audio.clear_pictures()  # pictures are FLAC blocks of their own, not comments
    if audio.tags is None:
        audio.add_tags()
    for key, values in _vorbis_comments(tags).items():
        audio[key] = values
    if cover:
        if isinstance(audio, FLAC):
            audio.add_picture(_picture(cover))
        else:
            block = base64.b64encode(_picture(cover).write()).decode("ascii")
            audio["METADATA_BLOCK_PICTURE"] = [block]
    audio.save()


def _mp4(path: Path, tags: TagSet, cover: bytes | None) -> None:
    audio = MP4(path)
    audio.delete()
    if audio.tags is None:
        audio.add_tags()
    atoms: dict[str, object] = {
        "\xa9nam": [tags.title],
        "\xa9ART": [tags.artist] if tags.artists else None,
        "aART": list(tags.album_artists) or None,
        "\xa9alb": [tags.album] if tags.album else None,
        "\xa9day": [tags.date] if tags.date else None,
        "\xa9gen": list(tags.genres) or None,
    }
    if tags.track_number is not None:
        atoms["trkn"] = [(tags.track_number, tags.track_total or 0)]
    if tags.disc_number is not None:
        atoms["disk"] = [(tags.disc_number, tags.disc_total or 0)]
    if tags.explicit is not None:
        atoms["rtng"] = [1 if tags.explicit else 2]
    freeform = {"ISRC": tags.isrc, "LABEL": tags.label, "SOURCE": tags.source_url}
    for name, value in freeform.items():
        if value:
            atoms[f"----:com.apple.iTunes:{name}"] = [MP4FreeForm(value.encode())]
    if tags.artists:
        atoms["----:com.apple.iTunes:ARTISTS"] = [MP4FreeForm(a.encode()) for a in tags.artists]
    if cover:
        kind = MP4Cover.FORMAT_PNG if cover.startswith(b"\x89PNG") else MP4Cover.FORMAT_JPEG
        atoms["covr"] = [MP4Cover(cover, imageformat=kind)]
    for key, atom in atoms.items():
        if atom is not None:
            audio[key] = atom
    audio.save()


def write_tags(path: Path, tags: TagSet, cover: bytes | None = None) -> None:
    """Replace ``path``'s tags with ``tags`` (and embed ``cover``, when given)."""
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        _id3(path, tags, cover)
    elif suffix == ".flac":
        _vorbis(FLAC(path), tags, cover)
    elif suffix in (".ogg", ".oga"):
        _vorbis(OggVorbis(path), tags, cover)
    elif suffix == ".opus":
        _vorbis(OggOpus(path), tags, cover)
    elif suffix in (".m4a", ".mp4"):
        _mp4(path, tags, cover)
    else:
        raise UntaggableFile(f"cannot tag {suffix or 'extensionless'} files")
