"""Build the matcher's development set from real provider payloads in ``tests/data/providers``.

``python scripts/build_matcher_devset.py`` writes ``tests/data/matcher/devset.jsonl``:
lines in the ``tunebridge match rank`` input format plus ``"expected"``, the ids of the
candidates that are the same recording (empty: none of them is).

Every source track is a real record from Spotify, Deezer or YouTube Music. Its candidates
are what another service would show for it: the same recording as that service would
title it (official audio, a music video with an intro, a remaster with another ISRC, a
transliterated title), and the decoys users complain about (live, remix, cover, karaoke,
sped-up, clean-for-explicit, another song by the same artist, the same title by another
artist). In about a third of the cases the true recording is left out, so that "none" is
the right answer. The generator is seeded: the file is reproducible.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = ROOT / "tests" / "data" / "providers"
OUTPUT = ROOT / "tests" / "data" / "matcher" / "devset.jsonl"
#: Payloads recorded by spotDL's tests: kept out, so spotDL's data stays an outside yardstick.
SPOTDL_DERIVED = frozenset({"search_isrc_query.json", "search_songs_filter.json"})

Track = dict[str, Any]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def spotify_tracks() -> list[Track]:
    found = []
    for path in sorted((PROVIDERS / "spotify").glob("*.json")):
        for node in _walk(json.loads(path.read_text())):
            if node.get("type") == "track" and "name" in node and "artists" in node:
                found.append(
                    {
                        "title": node["name"],
                        "artists": [a["name"] for a in node["artists"]],
                        "album": (node.get("album") or {}).get("name"),
                        "duration_ms": node.get("duration_ms"),
                        "isrc": (node.get("external_ids") or {}).get("isrc"),
                        "explicit": node.get("explicit"),
                    }
                )
    return found


def deezer_tracks() -> list[Track]:
    found = []
    for path in sorted((PROVIDERS / "deezer").glob("*.json")):
        for node in _walk(json.loads(path.read_text())):
            if node.get("type") == "track" and "title" in node and "artist" in node:
                found.append(
                    {
                        "title": node["title"],
                        "artists": [node["artist"]["name"]],
                        "album": (node.get("album") or {}).get("title"),
                        "duration_ms": node["duration"] * 1000 if node.get("duration") else None,
                        "isrc": node.get("isrc"),
                        "explicit": node.get("explicit_lyrics"),
                    }
                )
    return found


def _runs(column: dict[str, Any]) -> list[str]:
    renderer = column.get("musicResponsiveListItemFlexColumnRenderer", {})
    return [run.get("text", "") for run in renderer.get("text", {}).get("runs", [])]


def _seconds(text: str) -> int | None:
    parts = text.split(":")
    if not all(part.isdigit() for part in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def ytmusic_tracks() -> list[Track]:
    found = []
    for path in sorted((PROVIDERS / "ytmusic").glob("*.json")):
        if path.name in SPOTDL_DERIVED:
            continue
        for node in _walk(json.loads(path.read_text())):
            item = node.get("musicResponsiveListItemRenderer")
            if not item:
                continue
            columns = [_runs(column) for column in item.get("flexColumns", [])]
            fixed = [
                run.get("text", "")
                for column in item.get("fixedColumns", [])
                for run in column.get("musicResponsiveListItemFixedColumnRenderer", {})
                .get("text", {})
                .get("runs", [])
            ]
            if not columns or not columns[0]:
                continue
            second = columns[1] if len(columns) > 1 else []
            is_video = bool(second) and second[0].strip() in ("Video", "Vídeo")
            names = [t.strip() for t in second if t.strip() and t.strip() not in ("&", ",", "•")]
            if is_video:
                names = names[1:2]  # "Video • Channel • N views": the channel
            durations = [_seconds(t.strip()) for t in [*fixed, *(c[0] for c in columns[2:] if c)]]
            duration = next((d for d in durations if d), None)
            album = columns[3][0] if len(columns) > 3 and columns[3] else None
            found.append(
                {
                    "title": "".join(columns[0]),
                    "artists": names,
                    "album": album,
                    "duration_ms": duration * 1000 if duration else None,
                    "isrc": None,
                    "explicit": None,
                    "kind": "video" if is_video else "song",
                    "video_id": item.get("playlistItemData", {}).get("videoId"),
                }
            )
    return found


REMIXERS = ["Kygo", "Tiësto", "R3HAB", "Purple Disco Machine", "Armin van Buuren", "Joris Voorn"]
LIVE_PLACES = ["Live", "Live at Wembley", "Live From Spotify Sessions", "En Vivo", "Live Lounge"]
KARAOKE = ["Karaoke Hits Band", "Sing King", "Party Tyme Karaoke", "Ameritz Karaoke"]
COVER_ARTISTS = ["Boyce Avenue", "Anthem Lights", "Madilyn Bailey", "Tiffany Alvord"]
CYRILLIC_TO_LATIN = str.maketrans(
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "ABVGDEEZZIYKLMNOPRSTUFHCCSS_Y_EUAabvgdeezziyklmnoprstufhccss_y_eua",
)


def _strip_none(track: Track) -> Track:
    return {k: v for k, v in track.items() if v is not None and k != "video_id"}


def cases(tracks: list[Track], rng: random.Random) -> Iterator[dict[str, Any]]:
    by_artist: dict[str, list[Track]] = {}
    for track in tracks:
        by_artist.setdefault(track["artists"][0] if track["artists"] else "", []).append(track)
    seen: set[tuple[str, str]] = set()
    for number, source in enumerate(tracks):
        key = (source["title"].casefold(), ",".join(source["artists"]).casefold())
        if key in seen or not source["artists"] or not source["duration_ms"]:
            continue
        seen.add(key)
        title, artists = source["title"], source["artists"]
        artist = artists[0]
        duration = source["duration_ms"]
        trues: list[Track] = []
        decoys: list[Track] = []

        song = {
            "title": title,
            "artists": list(artists),
            "album": source.get("album"),
            "duration_ms": duration + rng.randint(-2000, 2000),
            "kind": "song",
            "views": rng.randint(10_000, 50_000_000),
        }
        if len(artists) > 1 and rng.random() < 0.5:
            song["title"] = f"{title} (feat. {', '.join(artists[1:])})"
            song["artists"] = [artist]
        if any("А" <= ch <= "я" for ch in title) and rng.random() < 0.7:
            song["title"] = title.translate(CYRILLIC_TO_LATIN).replace("_", "")
        trues.append(song)
        if rng.random() < 0.4:
            trues.append(
                {
                    "title": f"{artist} - {title} (Official Video)",
                    "artists": [f"{artist.replace(' ', '')}VEVO"],
                    "duration_ms": duration + rng.randint(4000, 35000),
                    "kind": "video",
                    "views": rng.randint(100_000, 900_000_000),
                }
            )
        if rng.random() < 0.25:
            remaster = {
                "title": f"{title} - Remastered {rng.randint(2001, 2023)}",
                "artists": list(artists),
                "duration_ms": duration + rng.randint(-1500, 1500),
            }
            if source.get("isrc"):
                remaster["isrc"] = "GBXXX" + str(rng.randint(1000000, 9999999))
            trues.append(remaster)

        lowered = title.casefold()
        if "live" not in lowered:
            decoys.append(
                {
                    "title": f"{title} ({rng.choice(LIVE_PLACES)})",
                    "artists": list(artists),
                    "duration_ms": duration + rng.randint(8000, 70000),
                    "kind": "video",
                }
            )
        remixer = rng.choice(REMIXERS)
        if "remix" not in lowered:
            decoys.append(
                {
                    "title": f"{title} ({remixer} Remix)",
                    "artists": [*artists, remixer],
                    "duration_ms": duration + rng.randint(-20000, 60000),
                }
            )
        decoys.append(
            {
                "title": f"{title} (Karaoke Version)",
                "artists": [rng.choice(KARAOKE)],
                "duration_ms": duration + rng.randint(-3000, 3000),
            }
        )
        decoys.append(
            {
                "title": title,
                "artists": [rng.choice(COVER_ARTISTS)],
                "duration_ms": duration + rng.randint(-15000, 15000),
                "kind": "video",
            }
        )
        decoys.append(
            {
                "title": f"{title} (Sped Up)",
                "artists": list(artists),
                "duration_ms": int(duration * 0.8),
                "kind": "song",
            }
        )
        if rng.random() < 0.5 and "acoustic" not in lowered:
            decoys.append(
                {
                    "title": f"{title} (Acoustic)",
                    "artists": list(artists),
                    "duration_ms": duration + rng.randint(-20000, 20000),
                }
            )
        if source.get("explicit"):
            decoys.append(
                {
                    "title": f"{title} (Clean)",
                    "artists": list(artists),
                    "duration_ms": duration,
                    "explicit": False,
                }
            )
        siblings = [
            t for t in by_artist.get(artist, []) if t["title"].casefold() != title.casefold()
        ]
        if siblings:
            sibling = rng.choice(siblings)
            decoys.append({k: sibling.get(k) for k in ("title", "artists", "album", "duration_ms")})
        same_title = [
            t
            for t in tracks
            if t["title"].casefold() == title.casefold()
            and t["artists"]
            and t["artists"][0].casefold() != artist.casefold()
        ]
        for other in same_title[:1]:
            decoys.append({k: other.get(k) for k in ("title", "artists", "album", "duration_ms")})

        absent = rng.random() < 0.33
        pool = decoys if absent else [*trues, *decoys]
        rng.shuffle(pool)
        candidates = []
        expected = []
        for index, candidate in enumerate(pool):
            candidate = _strip_none({**candidate, "id": f"c{index}"})
            candidates.append(candidate)
            if any(candidate_is(candidate, t) for t in trues) and not absent:
                expected.append(candidate["id"])
        yield {
            "id": f"case{number:03d}{'-absent' if absent else ''}",
            "source": _strip_none(source),
            "candidates": candidates,
            "expected": expected,
        }


def candidate_is(candidate: Track, true: Track) -> bool:
    return candidate["title"] == true["title"] and candidate.get("artists") == true.get("artists")


def main() -> None:
    rng = random.Random(20261122)
    tracks = (
        spotify_tracks() + deezer_tracks() + [t for t in ytmusic_tracks() if t["kind"] == "song"]
    )
    lines = [json.dumps(case, ensure_ascii=False) for case in cases(tracks, rng)]
    OUTPUT.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} cases from {len(tracks)} real tracks -> {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
