"""Build the matcher's outside development set: ``python scripts/build_matcher_outside_set.py``.

Sources are recorded payloads of other open-source projects, copied unchanged into
``tests/data/matcher/outside/`` (``SOURCES.md`` there names each file's repository,
path, commit and licence): Harmony's recorded catalog answers (iTunes, Spotify, Deezer,
Tidal, Mora, Ototoy: Japanese, Korean, Swedish, Senegalese, compilations, live albums,
covers, katakana credits) and ytmusicapi's parsed YouTube Music pages (songs and the
videos of the same artists, bilingual Japanese titles, localised charts).

Each real track is a source. Its candidates are what a catalog search shows:

- real neighbours from the pooled payloads (same artist, similar titles), labelled the
  same recording only when catalog facts say so (equal ISRC, or equal title, artists and
  duration within 2 s);
- the same recording as other services present it, following the failure reports of
  the matcher issue: localised credits ("mit", "avec", "con", "com", "met", "i", "、"),
  "- Topic" channels, official videos, credits run together ("A B C"), the other script
  of a name where the payloads or public discographies give both (katakana "ザ・ビートルズ"
  for "The Beatles", romaji for kanji), remaster years;
- the decoys real catalogs contain: live, remix, karaoke, covers, sped-up, a version
  crediting an extra featured artist, another remaster year, a compilation's copy, a
  fan's lyrics upload of the same audio (an equivalent, not the preferred one), and an
  unofficial upload carrying the source's ISRC in its description.

A third of the cases leave every equivalent out ("none" is right). Cases are split by a
hash of the source into a fitting part (``outside_fit.jsonl``, used by
scripts/calibrate_matcher.py) and a held-out part (``outside_heldout.jsonl``, only ever
evaluated). spotDL's data is not used here: it stays an outside yardstick.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "matcher"
OUTSIDE = DATA / "outside"
HELD_OUT_SHARE = 0.4

Track = dict[str, Any]

#: Names in two scripts, as the payloads themselves or the artists' own Latin
#: spellings give them (used to present the other script of a credit).
OTHER_SCRIPT = {
    "ザ・ビートルズ": "The Beatles",
    "ジョン・レノン": "John Lennon",
    "ポール・マッカートニー": "Paul McCartney",
    "ジョージ・ハリスン": "George Harrison",
    "リンゴ・スター": "Ringo Starr",
    "星街すいせい": "Hoshimachi Suisei",
    "初音ミク": "Hatsune Miku",
    "重音テト": "Kasane Teto",
    "宝鐘マリン": "Houshou Marine",
    "さくらみこ": "Sakura Miko",
    "白上フブキ": "Shirakami Fubuki",
    "夏色まつり": "Natsuiro Matsuri",
    "アド": "Ado",
    "ドリームキャッチャー": "Dreamcatcher",
    "드림캐쳐": "Dreamcatcher",
    "クイーン": "Queen",
}
LATIN_TO_OTHER = {latin: other for other, latin in OTHER_SCRIPT.items()}
#: How YouTube Music writes a second artist in each locale (credits.JOINERS).
LOCALE_JOINERS = [("de", "und"), ("fr", "et"), ("es", "y"), ("pt", "e"), ("nl", "en")]
LOCALE_JOINERS += [("pl", "i"), ("pl", "oraz"), ("ja", "、"), ("any", "x"), ("any", "\u00d7")]
LOCALE_FEATURING = ["mit", "avec", "con", "com", "met", "feat.", "with"]
REMIXERS = ["Kygo", "Tiësto", "R3HAB", "Purple Disco Machine", "Joris Voorn"]
KARAOKE = ["Sing King", "Party Tyme Karaoke", "Ameritz Karaoke"]
COVER_ARTISTS = ["Boyce Avenue", "Anthem Lights", "Madilyn Bailey"]
LYRICS_CHANNELS = ["7clouds", "Lyrics Hub", "Dan Music", "Vibe Music"]
COMPILATIONS = ["Now That's What I Call Music! 98", "Greatest Hits of the 2000s", "100 Hits"]


def _seconds(value: Any) -> int | None:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        iso = re.match(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$", value)
        if iso:
            h, m, s = (int(x or 0) for x in iso.groups())
            return h * 3600 + m * 60 + s
        if re.match(r"^\d+(:\d\d)+$", value):
            total = 0
            for part in value.split(":"):
                total = total * 60 + int(part)
            return total
    return None


def _track(title: str, artists: list[str], **rest: Any) -> Track:
    return {"title": title, "artists": [a for a in artists if a], **rest}


def harmony() -> Iterator[Track]:
    folder = OUTSIDE / "harmony"
    for path in sorted(folder.glob("itunes_*.json")):
        for item in json.loads(path.read_text())["results"]:
            if item.get("wrapperType") == "track":
                yield _track(
                    item["trackName"],
                    [item["artistName"]],
                    album=item.get("collectionName"),
                    duration_ms=item.get("trackTimeMillis"),
                    explicit=item.get("trackExplicitness") == "explicit",
                    kind="song",
                )
    for path in sorted(folder.glob("spotify_album_*.json")):
        document = json.loads(path.read_text())
        album = document.get("name")
        items = document.get("tracks", {}).get("items") or document.get("items") or []
        for item in items:
            yield _track(
                item["name"],
                [a["name"] for a in item["artists"]],
                album=album,
                duration_ms=item.get("duration_ms"),
                explicit=item.get("explicit"),
                kind="song",
            )
    for path in sorted(folder.glob("spotify_track_*.json")):
        for item in json.loads(path.read_text())["tracks"]:
            yield _track(
                item["name"],
                [a["name"] for a in item["artists"]],
                album=item["album"]["name"],
                duration_ms=item["duration_ms"],
                isrc=item.get("external_ids", {}).get("isrc"),
                explicit=item.get("explicit"),
                kind="song",
            )
    for path in sorted(folder.glob("deezer_album_*.json")):
        document = json.loads(path.read_text())
        for item in document["tracks"]["data"]:
            yield _track(
                item["title"],
                [item["artist"]["name"]],
                album=document["title"],
                duration_ms=(item.get("duration") or 0) * 1000 or None,
                explicit=item.get("explicit_lyrics"),
                kind="song",
            )
    for path in sorted(folder.glob("tidal_jay_z_*.json")):
        for item in json.loads(path.read_text())["data"]:
            resource = item["resource"]
            yield _track(
                resource["title"],
                [a["name"] for a in resource["artists"]],
                album=resource.get("album", {}).get("title"),
                duration_ms=(resource.get("duration") or 0) * 1000 or None,
                isrc=resource.get("isrc"),
                kind="song",
            )
    for path in sorted(folder.glob("tidal_v2_*.json")):
        document = json.loads(path.read_text())
        included = {(x["type"], x["id"]): x for x in document.get("included", [])}
        data = document["data"]
        data = data if isinstance(data, list) else [data]
        albums = [d for d in data if d["type"] == "albums"]
        album = albums[0]["attributes"]["title"] if albums else None
        for (kind, _), item in included.items():
            if kind not in ("tracks", "videos"):
                continue
            refs = item.get("relationships", {}).get("artists", {}).get("data", [])
            names = [
                included[("artists", ref["id"])]["attributes"]["name"]
                for ref in refs
                if ("artists", ref["id"]) in included
            ]
            if not names and albums:
                names = [
                    included[("artists", ref["id"])]["attributes"]["name"]
                    for ref in albums[0].get("relationships", {}).get("artists", {}).get("data", [])
                    if ("artists", ref["id"]) in included
                ]
            attributes = item["attributes"]
            title = attributes["title"]
            if attributes.get("version"):
                title = f"{title} ({attributes['version']})"
            yield _track(
                title,
                names,
                album=album if kind == "tracks" else None,
                duration_ms=(_seconds(attributes.get("duration")) or 0) * 1000 or None,
                isrc=attributes.get("isrc"),
                explicit=attributes.get("explicit"),
                kind="song" if kind == "tracks" else "video",
            )
    for path in sorted(folder.glob("mora_*.json")):
        document = json.loads(path.read_text())
        for item in document.get("trackList", []):
            yield _track(
                item["title"],
                [item["artistName"]],
                album=document.get("title"),
                duration_ms=(item.get("duration") or 0) * 1000 or None,
                kind="song",
            )
    for path in sorted(folder.glob("ototoy_*.json")):
        document = json.loads(path.read_text())
        meta = document["albumMeta"]
        album_artists = [a["name"] for a in meta.get("artists", [])]
        for item in document["trackList"]:
            artists = [a["name"] for a in item.get("artists", [])] or album_artists
            if artists == ["Various Artists"]:
                continue
            yield _track(
                item["title"],
                artists,
                album=meta["title"],
                duration_ms=(item.get("duration") or 0) * 1000 or None,
                kind="song",
            )


def ytmusicapi() -> Iterator[Track]:
    for path in sorted((OUTSIDE / "ytmusicapi").glob("*.json")):
        document = json.loads(path.read_text())
        sections: list[tuple[str, list[dict[str, Any]]]] = []
        for name in ("songs", "videos"):
            if isinstance(document.get(name), dict):
                sections.append((name, document[name].get("results", [])))
        for name in ("new_videos",):
            if isinstance(document.get(name), list):
                sections.append(("videos", document[name]))
        for section, items in sections:
            for item in items:
                artists = [a["name"] for a in item.get("artists") or [] if a.get("name")]
                if not artists or not item.get("title"):
                    continue
                views = item.get("views")
                yield _track(
                    item["title"],
                    artists,
                    album=(item.get("album") or {}).get("name") if section == "songs" else None,
                    duration_ms=(_seconds(item.get("duration")) or 0) * 1000 or None,
                    kind="song" if section == "songs" else "video",
                    views=_views(views),
                )


def _views(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    found = re.match(r"([\d.]+)\s*([KMB]?)", text)
    if not found:
        return None
    return int(float(found.group(1)) * {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[found.group(2)])


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _same_recording(a: Track, b: Track) -> bool | None:
    """Catalog facts only: equal ISRCs, or equal title, artists and duration. None when
    the facts disagree (same title, artists and length under another ISRC: a re-release
    or another master, which no label can settle)."""
    if a.get("isrc") and a.get("isrc") == b.get("isrc"):
        return True
    close = bool(
        a.get("duration_ms")
        and b.get("duration_ms")
        and abs(a["duration_ms"] - b["duration_ms"]) <= 2000
    )
    named_alike = _fold(a["title"]) == _fold(b["title"]) and [_fold(x) for x in a["artists"]] == [
        _fold(x) for x in b["artists"]
    ]
    if named_alike and (not close or (a.get("isrc") and b.get("isrc"))):
        return None  # same names, but another length or ISRC: another master, or not
    return named_alike and close


def _other_script(name: str) -> str | None:
    return OTHER_SCRIPT.get(name) or LATIN_TO_OTHER.get(name)


def _work(title: str) -> str:
    return re.sub(r"\s*[(\[].*?[)\]]|\s+-\s+.*$", "", title).strip() or title


def presentations(source: Track, rng: random.Random) -> list[tuple[Track, str]]:
    """The same recording as other services show it: (track, how), at least one."""
    title, artists = source["title"], source["artists"]
    duration = source.get("duration_ms")
    near = max(1000, duration + rng.randint(-1500, 1500)) if duration else None
    found: list[tuple[Track, str]] = []
    copy = {
        "title": title,
        "artists": list(artists),
        "album": source.get("album"),
        "duration_ms": near,
        "kind": "song",
        "explicit": source.get("explicit"),
    }
    dashed = re.match(r"^(.+?) - ([^()]+)$", title)
    if dashed and re.search(r"remaster|version|edit|mix", dashed.group(2), re.IGNORECASE):
        # Spotify's "Title - 2010 Remastered" is "Title (2010 Remastered)" elsewhere.
        copy["title"] = f"{dashed.group(1)} ({dashed.group(2)})"
    found.append((copy, "catalog copy"))
    if len(artists) >= 2 and rng.random() < 0.8:
        language, joiner = rng.choice(LOCALE_JOINERS)
        word = rng.choice(LOCALE_FEATURING)
        localised = dict(copy)
        if rng.random() < 0.5:
            localised["title"] = f"{title} ({word} {' & '.join(artists[1:])})"
            localised["artists"] = [artists[0]]
            found.append((localised, f"featuring credit '{word}'"))
        else:
            localised["artists"] = [f" {joiner} ".join(artists).replace(" 、 ", "、")]
            found.append((localised, f"credits joined by '{joiner}' ({language})"))
        if rng.random() < 0.4:
            found.append(({**copy, "artists": [" ".join(artists)]}, "credits run together"))
    other = [_other_script(a) for a in artists]
    if any(other) and rng.random() < 0.9:
        found.append(
            (
                {**copy, "artists": [o or a for o, a in zip(other, artists, strict=True)]},
                "credit in another script",
            )
        )
    halves = re.match(r"^(.+?) - (.+)$", title)
    if halves and not re.search(r"[A-Za-z]", halves.group(1)) and rng.random() < 0.8:
        found.append(({**copy, "title": halves.group(1)}, "title in one script"))
    if rng.random() < 0.5:
        found.append(
            (
                {
                    "title": title,
                    "artists": [f"{artists[0]} - Topic"],
                    "duration_ms": near,
                    "kind": "song",
                },
                "topic channel",
            )
        )
    if rng.random() < 0.3 and duration and _work(title) == title:
        found.append(
            (
                {
                    "title": f"{artists[0]} - {_work(title)} (Official Video)",
                    "artists": [artists[0]],
                    "duration_ms": duration + rng.randint(4000, 25000),
                    "kind": "video",
                    "views": rng.randint(100_000, 500_000_000),
                },
                "official video",
            )
        )
    return found


def decoys(source: Track, pool: list[Track], rng: random.Random) -> list[tuple[Track, str]]:
    title, artists = source["title"], source["artists"]
    duration = max(60_000, source.get("duration_ms") or 200_000)
    lowered = title.casefold()
    found: list[tuple[Track, str]] = []
    if "live" not in lowered:
        found.append(
            (
                {
                    "title": f"{title} (Live)",
                    "artists": list(artists),
                    "duration_ms": duration + rng.randint(8000, 60000),
                },
                "live",
            )
        )
    if "remix" not in lowered and rng.random() < 0.6:
        remixer = rng.choice(REMIXERS)
        found.append(
            (
                {
                    "title": f"{title} ({remixer} Remix)",
                    "artists": [*artists, remixer],
                    "duration_ms": duration + rng.randint(-20000, 60000),
                },
                "remix",
            )
        )
    if rng.random() < 0.5:
        found.append(
            (
                {
                    "title": f"{_work(title)} (Karaoke Version)",
                    "artists": [rng.choice(KARAOKE)],
                    "duration_ms": duration,
                },
                "karaoke",
            )
        )
    if rng.random() < 0.5:
        found.append(
            (
                {
                    "title": _work(title),
                    "artists": [rng.choice(COVER_ARTISTS)],
                    "duration_ms": duration + rng.randint(-15000, 15000),
                    "kind": "video",
                },
                "cover",
            )
        )
    if rng.random() < 0.3:
        found.append(
            (
                {
                    "title": f"{title} (Sped Up)",
                    "artists": list(artists),
                    "duration_ms": int(duration * 0.8),
                },
                "sped up",
            )
        )
    others = [t for t in pool if t["artists"] and t["artists"][0] not in artists]
    if others and rng.random() < 0.6:
        guest = rng.choice(others)["artists"][0]
        found.append(
            (
                {
                    "title": f"{_work(title)} (feat. {guest})",
                    "artists": [artists[0]],
                    "duration_ms": duration + rng.randint(-4000, 4000),
                    "kind": "song",
                },
                "extra featured artist",
            )
        )
    remaster = re.search(r"remaster(?:ed)?\s*(\d{4})|(\d{4})\s*remaster", title, re.IGNORECASE)
    if remaster:
        year = int(remaster.group(1) or remaster.group(2))
        found.append(
            (
                {
                    "title": f"{_work(title)} (Remastered {year + rng.choice([-7, 4, 9])})",
                    "artists": list(artists),
                    "duration_ms": duration + rng.randint(-1500, 1500),
                    "album": f"{_work(title)} (Remastered)",
                },
                "another remaster",
            )
        )
    if source.get("isrc") and rng.random() < 0.7:
        found.append(
            (
                {
                    "title": f"{_work(title)[:12]} !! full song 2025 new",
                    "artists": ["Music Planet 24"],
                    "isrc": source["isrc"],
                    "kind": "video",
                    "views": rng.randint(100, 5000),
                },
                "unofficial upload with the ISRC",
            )
        )
    return found


def neighbours(source: Track, pool: list[Track], limit: int = 4) -> list[Track]:
    """What a search would also bring back: same artist, similar titles."""
    scored = []
    for other in pool:
        if other is source:
            continue
        title = fuzz.token_set_ratio(_fold(source["title"]), _fold(other["title"]))
        artist = 100 if set(source["artists"]) & set(other["artists"]) else 0
        scored.append((title + artist, id(other), other))
    scored.sort(key=lambda item: -item[0])
    return [other for _, _, other in scored[:limit]]


def cases(tracks: list[Track], rng: random.Random) -> Iterator[tuple[bool, dict[str, Any]]]:
    seen: set[tuple[str, str]] = set()
    for number, source in enumerate(tracks):
        key = (_fold(source["title"]), _fold(",".join(source["artists"])))
        if key in seen or not source["artists"] or not source.get("duration_ms"):
            continue
        seen.add(key)
        absent = rng.random() < 0.33
        candidates: list[tuple[Track, str, bool, bool]] = []  # track, how, same, preferred
        for other in neighbours(source, tracks):
            same = _same_recording(source, other)
            if same is None or (absent and same):
                continue
            candidates.append(({**other}, "search neighbour", same, same))
        if not absent:
            shown = presentations(source, rng)
            rng.shuffle(shown)
            for track, how in shown[: rng.randint(1, 3)]:
                candidates.append((track, how, True, True))
            if source.get("album") and rng.random() < 0.3:
                copy = {
                    "title": source["title"],
                    "artists": list(source["artists"]),
                    "album": rng.choice(COMPILATIONS),
                    "duration_ms": source["duration_ms"] + rng.randint(-1000, 1000),
                    "kind": "song",
                }
                candidates.append(
                    (copy, "compilation copy (same audio, not preferred)", True, False)
                )
            if rng.random() < 0.3:
                upload = {
                    "title": f"{source['artists'][0]} - {source['title']} (Lyrics)",
                    "artists": [rng.choice(LYRICS_CHANNELS)],
                    "duration_ms": source["duration_ms"] + rng.randint(-2000, 2000),
                    "kind": "video",
                    "views": rng.randint(10_000, 50_000_000),
                }
                candidates.append(
                    (upload, "fan lyrics upload (same audio, not preferred)", True, False)
                )
        for track, how in decoys(source, tracks, rng):
            candidates.append((track, how, False, False))
        rng.shuffle(candidates)
        out, expected, same_ids, notes = [], [], [], {}
        for index, (track, how, same, preferred) in enumerate(candidates):
            candidate_id = f"c{index}"
            clean = {k: v for k, v in track.items() if v is not None}
            out.append({**clean, "id": candidate_id})
            notes[candidate_id] = how
            if preferred:
                expected.append(candidate_id)
            if same:
                same_ids.append(candidate_id)
        if not expected:
            # Only non-preferred equivalents: any of them is then right.
            expected = [f"c{i}" for i, (_, _, same, _) in enumerate(candidates) if same]
        case_id = f"outside{number:03d}{'-absent' if not expected else ''}"
        digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).digest()
        held_out = digest[0] / 256 < HELD_OUT_SHARE
        yield (
            held_out,
            {
                "id": case_id,
                "source": {k: v for k, v in source.items() if v is not None},
                "candidates": out,
                "expected": expected,
                "same": same_ids,
                "notes": notes,
            },
        )


def main() -> None:
    rng = random.Random(20261201)
    tracks = [*harmony(), *ytmusicapi()]
    fit, held = [], []
    for held_out, case in cases(tracks, rng):
        (held if held_out else fit).append(json.dumps(case, ensure_ascii=False))
    (DATA / "outside_fit.jsonl").write_text("\n".join(fit) + "\n")
    (DATA / "outside_heldout.jsonl").write_text("\n".join(held) + "\n")
    print(f"{len(tracks)} real tracks -> {len(fit)} fitting cases, {len(held)} held-out cases")


if __name__ == "__main__":
    main()
