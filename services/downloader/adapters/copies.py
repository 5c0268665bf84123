"""A lossy copy of a lossless download (a quality profile's ``lossy_copy``): MP3 or Opus
made by ffmpeg at the profile's bitrate, tagged like the original, in its own folder
under the same library path (a phone's or car's smaller library)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mutagen import MutagenError

from services.downloader.adapters.fetcher import ffmpeg_location
from services.downloader.adapters.tagger import write_tags
from services.downloader.domain.quality import QualityTarget
from services.downloader.domain.tagging import TagSet

_CODECS = {"mp3": ("libmp3lame", "mp3", ".mp3"), "opus": ("libopus", "opus", ".opus")}
#: Longest an encode may take (a long live set at a slow machine's pace).
ENCODE_TIMEOUT_S = 900


class CopyFailed(Exception):
    """The copy could not be made (the lossless file itself is filed all the same)."""


def make_lossy_copy(
    source: Path, target: Path, copy: QualityTarget, tags: TagSet, cover: bytes | None
) -> Path:
    """Encode ``source`` as ``copy`` at ``target`` (its suffix set by the format), tag it;
    written beside and renamed, so a half-made copy never shows."""
    codec, muxer, suffix = _CODECS[copy.format]
    final = target.with_suffix(suffix)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.stem}.part{suffix}")  # tagged by its suffix
    command = [
        ffmpeg_location(),
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        str(source),
        "-map",
        "0:a:0",
        "-map_metadata",
        "-1",
        "-c:a",
        codec,
        "-b:a",
        f"{copy.min_bitrate_kbps or 320}k",
        "-f",
        muxer,
        str(partial),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=ENCODE_TIMEOUT_S)
        write_tags(partial, tags, cover)
        os.replace(partial, final)
    except (OSError, subprocess.SubprocessError, ValueError, MutagenError) as error:
        partial.unlink(missing_ok=True)
        raise CopyFailed(f"the {copy.format.upper()} copy could not be made") from error
    return final
