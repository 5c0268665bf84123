"""The matcher on spotDL's matching test data, as an outside yardstick.

``python scripts/measure_matcher_spotdl_yardstick.py CASSETTES TEST_MATCHING_PY``

spotDL (MIT) records, for each case of its ``tests/test_matching.py``, the Spotify track
and the YouTube Music searches its matcher made (vcrpy cassettes under
``tests/cassettes/test_matching/``), and lists the videos it accepts as right. This script
reads those files from a spotDL checkout *given on the command line* (nothing of spotDL is
stored in this repository, and none of it is used by the development sets, calibration
or tuning), builds one case per cassette (the Spotify track as source, every result of
the recorded searches as a candidate), and prints ``tunebridge match evaluate``'s figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import msgspec
import yaml

from services.matcher.api.cli import Case, outcome_of
from services.matcher.domain.evaluation import evaluate
from services.matcher.domain.scoring import Thresholds


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _seconds(text: str) -> int | None:
    if not re.fullmatch(r"\d+(:\d\d)+", text):
        return None
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def _runs(column: dict[str, Any]) -> list[str]:
    renderer = column.get("musicResponsiveListItemFlexColumnRenderer", {})
    return [run.get("text", "") for run in renderer.get("text", {}).get("runs", [])]


def _views(text: str) -> int | None:
    found = re.match(r"([\d.,]+)\s*(Mio\.|Mrd\.|M|K|B|Tsd\.)?", text)
    if not found or ("Aufrufe" not in text and "views" not in text):
        return None
    number = float(found.group(1).replace(".", "").replace(",", "."))
    scale = {"Mio.": 1e6, "M": 1e6, "Mrd.": 1e9, "B": 1e9, "K": 1e3, "Tsd.": 1e3}
    return int(number * scale.get(found.group(2) or "", 1))


def candidates(body: dict[str, Any], kind_of_search: str | None) -> list[dict[str, Any]]:
    """Songs and videos of one recorded InnerTube search answer, as the page shows them:
    "Type • Artists • Album • 3:25" (German locale: "Titel", "Video", "A und B")."""
    found = []
    for node in _walk(body):
        item = node.get("musicResponsiveListItemRenderer")
        card = node.get("musicCardShelfRenderer")  # the "top result" card
        if card:
            title = [r.get("text", "") for r in card.get("title", {}).get("runs", [])]
            columns = [title, [r.get("text", "") for r in card.get("subtitle", {}).get("runs", [])]]
            item = card
        elif item:
            columns = [_runs(column) for column in item.get("flexColumns", [])]
        else:
            continue
        video_id = next((n["videoId"] for n in _walk(item) if "videoId" in n), None)
        if not video_id or not columns or not columns[0]:
            continue
        parts = [p.strip() for p in "".join(columns[1] if len(columns) > 1 else []).split(" • ")]
        parts = [p for p in parts if p]
        kind = kind_of_search or "song"
        if parts and parts[0] in ("Video", "Vídeo"):
            kind, parts = "video", parts[1:]
        elif parts and parts[0] in ("Song", "Titel"):
            kind, parts = "song", parts[1:]
        elif parts and parts[0] in ("Album", "Single", "EP", "Künstler", "Artist", "Playlist"):
            continue
        duration = next((_seconds(p) for p in parts if _seconds(p)), None)
        views = next((_views(p) for p in parts if _views(p)), None)
        names = [p for p in parts if not _seconds(p) and not _views(p)]
        artists = names[:1]
        album = names[1] if kind == "song" and len(names) >= 2 else None
        found.append(
            {
                "id": video_id,
                "title": "".join(columns[0]),
                "artists": artists,
                "album": album,
                "duration_ms": duration * 1000 if duration else None,
                "kind": kind,
                "views": views,
            }
        )
    return found


def expected_videos(test_file: Path) -> dict[str, list[str]]:
    text = test_file.read_text()
    found: dict[str, list[str]] = {}
    pattern = r"^\s*\(\s*(?:#[^\n]*\n\s*)*\"https://open\.spotify\.com/track/(\w+)\",\s*\[(.*?)\]"
    for match in re.finditer(pattern, text, re.MULTILINE | re.DOTALL):
        found[match.group(1)] = re.findall(r"\?v=([\w-]+)", match.group(2))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cassettes", type=Path, help="spotDL's tests/cassettes/test_matching")
    parser.add_argument("test_matching", type=Path, help="spotDL's tests/test_matching.py")
    options = parser.parse_args()
    expected = expected_videos(options.test_matching)
    rows = []
    for path in sorted(options.cassettes.glob("*.yaml")):
        track_id = re.search(r"track-(\w+)-expected", path.name) or re.match(
            r"(\w+)\.yaml", path.name
        )
        if not track_id or track_id.group(1) not in expected:
            continue
        document = yaml.safe_load(path.read_text())
        source = None
        pool: dict[str, dict[str, Any]] = {}
        for interaction in document["interactions"]:
            uri = interaction["request"]["uri"]
            body = interaction["response"]["body"].get("string") or ""
            if "api.spotify.com/v1/tracks/" in uri:
                data = json.loads(body)
                source = {
                    "title": data["name"],
                    "artists": [a["name"] for a in data["artists"]],
                    "album": data["album"]["name"],
                    "duration_ms": data["duration_ms"],
                    "isrc": data.get("external_ids", {}).get("isrc"),
                    "explicit": data.get("explicit"),
                }
            elif "youtubei/v1/search" in uri and body.startswith("{"):
                # The search's filter says what its untyped results are (songs or videos).
                params = json.loads(interaction["request"].get("body") or "{}").get("params", "")
                kind = {"EgWKAQII": "song", "EgWKAQIQ": "video"}.get(params[:8])
                for candidate in candidates(json.loads(body), kind):
                    pool.setdefault(candidate["id"], candidate)
        if not source:
            continue
        line = json.dumps(
            {
                "id": track_id.group(1),
                "source": source,
                "candidates": [
                    {k: v for k, v in c.items() if v is not None} for c in pool.values()
                ],
                "expected": [v for v in expected[track_id.group(1)] if v in pool],
            }
        )
        case = msgspec.json.decode(line, type=Case)
        rows.append((str(case.id), outcome_of(case, Thresholds())))
    report = evaluate(rows)
    print(f"spotDL yardstick: {report.cases} cases ({report.findable} findable)")
    print(f"right candidate first: {report.top1_accuracy:.1%} of the findable")
    for name, band in report.bands.items():
        print(
            f"{name:<7} {band.decisions:>4} decisions, "
            f"precision {band.precision:.1%}, recall {band.recall:.1%}"
        )
    absent_auto = [case for case, o in rows if o.decision == "auto" and not o.findable]
    print("wrong auto decisions:", ", ".join(report.wrong_autos) or "none")
    print("absent decided automatically:", ", ".join(absent_auto) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
