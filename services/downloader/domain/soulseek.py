"""Soulseek (through slskd): its search answers as candidates, and its transfer states.

Pure: the adapter fetches, this reads. slskd has renamed fields across versions (a peer's
``freeUploadSlots`` count became ``hasFreeUploadSlot``; ``queueDepth`` and
``queueLength``; ``bitrate`` and ``bitRate``), so each is read under every name it had.
A file's artist, album and title come from its path as peers file them
(``Music\\Artist\\Album (1998)\\03 - Title.flac``), since search answers carry no tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, Literal

from services.downloader.domain.paths import safe_component
from services.downloader.domain.quality import AudioQuality
from services.downloader.domain.sources import Peer, Source
from services.kernel.contracts import Track

ORIGIN = "soulseek"
AUDIO_EXTENSIONS = frozenset({"flac", "mp3", "ogg", "opus", "m4a", "aac", "wav", "alac", "ape"})
_NUMBER = re.compile(r"^\s*(?:\d{1,2}[-.]\s*)?(\d{1,3})\s*[-._)\s]+\s*")
_YEAR = re.compile(r"\s*[\[(]\d{4}[\])]\s*")


def queries(track: Track) -> tuple[str, ...]:
    """What to search Soulseek for, in turn: the title alone, then artist and title (a
    peer's file name often lacks the artist; the title alone finds those)."""
    title = track.title.strip()
    artist = track.artists[0].strip() if track.artists else ""
    both = f"{artist} {title}".strip()
    return tuple(dict.fromkeys(q for q in (title, both) if q))


def _first(mapping: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if mapping.get(name) is not None:
            return mapping[name]
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def path_parts(remote_path: str) -> list[str]:
    """A peer's path in parts (Windows peers use backslashes, others slashes)."""
    return [p for p in re.split(r"[\\/]+", remote_path) if p]


def track_from_path(remote_path: str, length_s: int | None) -> Track:
    """What a shared file claims to be, read from its folders and name."""
    parts = path_parts(remote_path)
    stem = PurePosixPath(parts[-1] if parts else remote_path).stem
    number_match = _NUMBER.match(stem)
    number = int(number_match.group(1)) if number_match else None
    rest = stem[number_match.end() :] if number_match else stem
    artist = album = None
    if " - " in rest:  # "Artist - Title"
        artist, rest = (x.strip() for x in rest.split(" - ", 1))
    if len(parts) >= 2:
        album = _YEAR.sub(" ", parts[-2]).strip()
        if " - " in album:  # "Artist - Album"
            folder_artist, album = (x.strip() for x in album.split(" - ", 1))
            artist = artist or folder_artist
        elif len(parts) >= 3:
            artist = artist or parts[-3].strip()
    return Track(
        title=rest.strip() or stem,
        artists=(artist,) if artist else (),
        album=album or None,
        track_number=number,
        duration_ms=length_s * 1000 if length_s else None,
        provider=ORIGIN,
        provider_id=remote_path,
    )


def sources_from_responses(responses: Sequence[Mapping[str, Any]]) -> list[Source]:
    """Every audio file in slskd's search responses, as a candidate (locked files left out:
    the peer would refuse them)."""
    found: list[Source] = []
    for response in responses:
        username = str(response.get("username") or "")
        if not username:
            continue
        free = _first(response, "hasFreeUploadSlot", "freeUploadSlots")
        queue = _int(_first(response, "queueLength", "queueDepth")) or 0
        speed = _int(_first(response, "uploadSpeed", "averageSpeed")) or 0
        for file in response.get("files") or ():
            remote = str(file.get("filename") or "")
            extension = str(file.get("extension") or "").lstrip(".").casefold()
            extension = extension or PurePosixPath(path_parts(remote)[-1] if remote else "").suffix
            extension = extension.lstrip(".").casefold()
            if not remote or extension not in AUDIO_EXTENSIONS:
                continue
            length = _int(file.get("length"))
            found.append(
                Source(
                    url=f"slsk://{username}/{remote.replace(chr(92), '/')}",
                    upload_title=PurePosixPath(path_parts(remote)[-1]).stem,
                    origin=ORIGIN,
                    track=track_from_path(remote, length),
                    quality=AudioQuality(
                        extension,
                        _int(_first(file, "bitRate", "bitrate")),
                        _int(_first(file, "sampleRate", "samplerate")),
                        _int(_first(file, "bitDepth", "bitdepth")),
                    ),
                    peer=Peer(
                        username=username,
                        remote_path=remote,
                        size=_int(file.get("size")) or 0,
                        free_slot=bool(free),
                        queue_length=queue,
                        speed_bps=speed,
                    ),
                )
            )
    return found


def folder_of(source: Source) -> str | None:
    """The share and folder a file is in (``user/Music/Artist/Album``), None for no peer."""
    if source.peer is None:
        return None
    return "/".join([source.peer.username, *path_parts(source.peer.remote_path)[:-1]])


def album_query(track: Track) -> str | None:
    """The search that lists a whole album folder: its artist and title (None: no album)."""
    if not track.album:
        return None
    artist = (track.album_artists or track.artists or ("",))[0]
    return f"{artist} {track.album}".strip()


def peer_order(source: Source) -> tuple[int, int, int]:
    """Sort key among equally good files: a free slot first, then a short queue, then speed."""
    peer = source.peer
    if peer is None:
        return (1, 0, 0)
    return (0 if peer.free_slot else 1, peer.queue_length, -peer.speed_bps)


TransferState = Literal["done", "failed", "refused", "waiting"]


def transfer_state(state: str) -> TransferState:
    """slskd's transfer state (flags written ``"Completed, Succeeded"``) in our terms."""
    flags = {f.strip().casefold() for f in state.split(",")}
    if "completed" not in flags:
        return "waiting"  # requested, queued (locally or remotely), initializing, in progress
    if "succeeded" in flags:
        return "done"
    if "rejected" in flags:
        return "refused"
    return "failed"  # errored, timed out, cancelled


def finished_file(downloads_dir: str, remote_path: str) -> PurePosixPath:
    """Where slskd puts a finished download: its downloads folder, the file's own folder
    name, the file name (each made safe, as slskd does)."""
    parts = path_parts(remote_path)
    folder = parts[-2] if len(parts) >= 2 else ""
    path = PurePosixPath(downloads_dir)
    if folder:
        path /= safe_component(folder)
    return path / safe_component(parts[-1] if parts else "download")
