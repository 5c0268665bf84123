"""Library benchmark: ``python scripts/benchmark_library.py [--files 5000] [--playlist 10000]``.

Prints figures, asserts nothing:
- tagging and filing: copy a real audio file into the library layout and tag it, per file;
- library scan (mutagen) of the generated library, and the incremental rescan after it;
- the missing-tracks check of a playlist (half of it in the library) against the scan;
- peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.connectors.adapters.folder import scan_folder
from services.downloader.adapters.tagger import write_tags
from services.downloader.domain.paths import target_path
from services.downloader.domain.tagging import tags_for
from services.kernel.contracts import Track
from services.matcher.domain.library import LibraryIndex

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9))).title()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--playlist", type=int, default=10_000)
    options = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "template.opus"
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=1",
                "-c:a",
                "libopus",
                str(template),
            ],
            check=True,
        )
        library = Path(scratch) / "Music"
        tracks = []
        for number in range(options.files):
            artist = f"{word(rng)} {word(rng)}"
            tracks.append(
                Track(
                    title=" ".join(word(rng) for _ in range(rng.randint(1, 4))),
                    artists=(artist,),
                    album=word(rng),
                    album_artists=(artist,),
                    track_number=number % 12 + 1,
                    duration_ms=1000,
                    isrc=f"QZ{number:010d}",
                )
            )
        started = time.perf_counter()
        for track in tracks:
            path = library / target_path(track, "opus")
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, path)
            write_tags(path, tags_for(track))
        filed = time.perf_counter() - started
        print(
            f"tagging and filing: {options.files} files in {filed:.1f} s "
            f"({options.files / filed:,.0f} files/s)"
        )

        started = time.perf_counter()
        scanned, index, _ = scan_folder(str(library))
        scan = time.perf_counter() - started
        started = time.perf_counter()
        scan_folder(str(library), index)
        rescan = time.perf_counter() - started
        print(
            f"library scan: {len(scanned)} files in {scan:.1f} s ({len(scanned) / scan:,.0f} "
            f"files/s); unchanged rescan in {rescan:.2f} s"
        )

        present = [
            Track(title=t.title, artists=t.artists)
            for t in rng.choices(tracks, k=options.playlist // 2)
        ]
        absent = [
            Track(title=" ".join(word(rng) for _ in range(3)), artists=(word(rng),))
            for _ in range(options.playlist - len(present))
        ]
        started = time.perf_counter()
        matches = LibraryIndex(scanned).best_matches(present + absent)
        checked = time.perf_counter() - started
        found = sum(1 for _, confidence in matches[: len(present)] if confidence >= 0.8)
        wrong = sum(1 for _, confidence in matches[len(present) :] if confidence >= 0.8)
        print(
            f"missing-tracks check: {options.playlist:,} playlist tracks against "
            f"{len(scanned):,} in {checked:.1f} s; present found {found}/{len(present)}, "
            f"absent called present {wrong}/{len(absent)}"
        )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
