"""Fetching audio with yt-dlp's Python API.

Best audio, kept in its own container (no re-encoding) unless a format is asked for
(mp3, ogg or flac through ffmpeg; a flac made from a lossy source is marked as such by
the caller). ffmpeg comes from the system, else from ``imageio-ffmpeg``. Progress is
reported as bytes, percent and speed; a cancelled download stops at the next chunk and
leaves no partial file behind.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import mutagen
import yt_dlp

from services.downloader.domain.fetching import explain_error
from services.kernel.telemetry import LibraryLogger

#: Containers yt-dlp's best audio usually comes in, kept as they are by default.
KEPT_FORMATS = ("opus", "m4a", "webm", "ogg", "mp3", "aac", "flac", "wav")
CONVERTIBLE = ("mp3", "ogg", "flac", "opus", "m4a")
#: yt-dlp's own retries of a connection or a fragment, before the download fails.
RETRIES = 3


class FetchError(Exception):
    """The download failed; the message says why in a person's words. ``kind`` groups it:
    ``failed``, ``refused`` (the source said no) or ``network`` (it could not be reached)."""

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind


class Cancelled(Exception):
    """The download was cancelled; nothing is left on disk."""


@dataclass(frozen=True)
class Progress:
    """How far a download has come."""

    downloaded_bytes: int
    total_bytes: int | None
    speed_bps: float | None

    @property
    def percent(self) -> float | None:
        if not self.total_bytes:
            return None
        return round(100 * self.downloaded_bytes / self.total_bytes, 1)


@dataclass(frozen=True)
class Fetched:
    """A finished download."""

    path: Path
    duration_s: float | None
    source_url: str
    lossy_source: bool


def ffmpeg_location() -> str:
    """The system's ffmpeg, else the one ``imageio-ffmpeg`` ships."""
    return shutil.which("ffmpeg") or imageio_ffmpeg.get_ffmpeg_exe()


def fetch(
    url: str,
    folder: Path,
    stem: str,
    audio_format: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> Fetched:
    """Download ``url``'s best audio into ``folder/stem.<ext>`` (blocking; run in a thread)."""
    if audio_format is not None and audio_format not in CONVERTIBLE:
        raise FetchError(f"cannot convert to {audio_format!r}; choose one of {CONVERTIBLE}")
    folder.mkdir(parents=True, exist_ok=True)

    def hook(status: dict[str, Any]) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        if on_progress and status.get("status") == "downloading":
            on_progress(
                Progress(
                    int(status.get("downloaded_bytes") or 0),
                    status.get("total_bytes") or status.get("total_bytes_estimate"),
                    status.get("speed"),
                )
            )

    options: dict[str, Any] = {
        "format": "bestaudio/best",
        "outtmpl": str(folder / f"{stem}.%(ext)s"),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        # Its messages through our logging, so they are redacted like every other line.
        "logger": LibraryLogger("yt_dlp"),
        "retries": RETRIES,
        "fragment_retries": RETRIES,
        "progress_hooks": [hook],
        "ffmpeg_location": ffmpeg_location(),
        "overwrites": True,
    }
    if audio_format:
        options["postprocessors"] = [
            {"key": "FFmpegExtractAudio", "preferredcodec": audio_format, "preferredquality": "0"}
        ]
    try:
        with yt_dlp.YoutubeDL(options) as downloader:
            info = downloader.extract_info(url, download=True)
    except Cancelled:
        _remove_partials(folder, stem)
        raise
    except yt_dlp.utils.DownloadError as error:
        _remove_partials(folder, stem)
        if isinstance(error.exc_info[1] if error.exc_info else None, Cancelled):
            raise Cancelled("cancelled") from None
        raise FetchError(explain_error(str(error))) from None
    path = _finished_file(folder, stem, audio_format)
    source_codec = str(info.get("acodec") or info.get("ext") or "")
    return Fetched(
        path=path,
        duration_s=measured_length(path) or info.get("duration"),
        source_url=str(info.get("webpage_url") or url),
        lossy_source=not source_codec.startswith(("flac", "wav", "alac", "pcm")),
    )


def _finished_file(folder: Path, stem: str, audio_format: str | None) -> Path:
    candidates = [
        p
        for p in folder.glob(f"{stem}.*")
        if not p.name.endswith((".part", ".ytdl", ".temp")) and ".part-" not in p.name
    ]
    if audio_format:
        candidates = [p for p in candidates if p.suffix == f".{audio_format}"] or candidates
    if not candidates:
        raise FetchError("the download finished but left no audio file")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def measured_length(path: Path) -> float | None:
    """The file's own length: what the listener gets, whatever the source claimed."""
    try:
        audio = mutagen.File(path)
    except Exception:  # an unreadable file is caught by the tagger next
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if length else None


def _remove_partials(folder: Path, stem: str) -> None:
    for path in folder.glob(f"{stem}.*"):
        path.unlink(missing_ok=True)
