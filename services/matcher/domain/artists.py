"""Which artist is this? Suggestions for the matched-download flow (seed S2).

For a raw upload (title, uploader, duration) and, optionally, a provider's search results,
the five most likely artists, each with a percentage. Evidence, strongest first: an
"Artist - Title" title, the uploader when it is an artist channel ("- Topic", "VEVO"),
remixers (the remixer is the track artist, the original artist a contributor), featured
artists, and the artists of search results that are the same song. Percentages share 100
among all artists found, so they read as "how likely this one is".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from services.kernel.contracts import Track
from services.matcher.domain.normalise import ascii_fold, channel_artist, fold, split_credits
from services.matcher.domain.scoring import title_similarity
from services.matcher.domain.titles import parse_title

#: Weights of each kind of evidence (relative; they are normalised into percentages).
TITLE_HALF = 3.0
ARTIST_CHANNEL = 3.0
PLAIN_CHANNEL = 0.8
REMIXER = 3.5
FEATURED = 0.8
SEARCH_RESULT = 4.0


@dataclass(frozen=True)
class ArtistOption:
    """An artist as a provider knows it (for display and for the choice that follows)."""

    name: str
    image_url: str | None = None
    provider_id: str | None = None


@dataclass(frozen=True)
class ArtistSuggestion:
    """A likely artist, how likely (0..100), and why."""

    artist: ArtistOption
    percent: float
    reasons: tuple[str, ...] = field(default=())


@dataclass
class _Evidence:
    option: ArtistOption
    weight: float = 0.0
    reasons: list[str] = field(default_factory=list)


def _artist_halves(
    halves: tuple[str, str], uploader: str | None, search_results: Sequence[Track]
) -> tuple[str, ...]:
    """Which side of "A - B" names the artist: the side that is not a search result's
    title, or that is the uploader; both when nothing tells."""
    titles = [fold(parse_title(result.title).work) for result in search_results]
    for index, half in enumerate(halves):
        other = halves[1 - index]
        if any(title_similarity(fold(half), title) >= 0.8 for title in titles):
            return (other,)
        if uploader and ascii_fold(channel_artist(uploader)) == ascii_fold(half):
            return (half,)
    return halves


def _is_artist_channel(uploader: str) -> bool:
    return channel_artist(uploader) != uploader.strip()


def suggest_artists(
    title: str,
    uploader: str | None = None,
    duration_ms: int | None = None,
    search_results: Sequence[Track] = (),
    options: Sequence[ArtistOption] = (),
    limit: int = 5,
) -> list[ArtistSuggestion]:
    """The ``limit`` most likely artists of a raw track, best first.

    ``options`` carry images and ids for names a provider knows; a suggestion whose name
    matches one takes its image and id.
    """
    parsed = parse_title(title)
    evidence: dict[str, _Evidence] = {}

    def add(name: str, weight: float, reason: str) -> None:
        name = name.strip(" -–—\"'")
        key = ascii_fold(name)
        if not key or weight <= 0:
            return
        item = evidence.setdefault(key, _Evidence(ArtistOption(name)))
        item.weight += weight
        if reason not in item.reasons:
            item.reasons.append(reason)

    work = parsed.work
    if parsed.halves:
        artist_sides = _artist_halves(parsed.halves, uploader, search_results)
        work = next((h for h in parsed.halves if h not in artist_sides), parsed.halves[1])
        for half in artist_sides:
            for name in split_credits([half]):
                add(name, TITLE_HALF / len(artist_sides), "named in the title")
    if uploader:
        artist_channel = _is_artist_channel(uploader)
        weight = ARTIST_CHANNEL if artist_channel else PLAIN_CHANNEL
        add(channel_artist(uploader), weight, "artist channel" if artist_channel else "uploader")
    for name in split_credits(list(parsed.remixers)):
        add(name, REMIXER, "remixer")
    for name in split_credits(list(parsed.featured)):
        add(name, FEATURED, "featured")
    for rank, result in enumerate(search_results):
        same_song = title_similarity(fold(work), fold(parse_title(result.title).work))
        if same_song < 0.6:
            continue
        closeness = 1.0
        if duration_ms and result.duration_ms:
            closeness = max(0.2, 1 - abs(duration_ms - result.duration_ms) / 60_000)
        weight = SEARCH_RESULT * same_song * closeness / (1 + 0.5 * rank)
        if parsed.remixers and "remix" not in parse_title(result.title).versions:
            weight /= 2  # the original's artists contribute to a remix; they are not its artist
        for position, name in enumerate(split_credits(list(result.artists))):
            add(name, weight / (1 + position), "search result")

    # A name the title spells out in full beats its own fragments ("Simon & Garfunkel").
    known = {ascii_fold(option.name): option for option in options}
    total = sum(item.weight for item in evidence.values()) or 1.0
    ranked = sorted(evidence.items(), key=lambda kv: -kv[1].weight)[:limit]
    return [
        ArtistSuggestion(
            artist=known.get(key, item.option),
            percent=round(100 * item.weight / total, 1),
            reasons=tuple(item.reasons),
        )
        for key, item in ranked
    ]


def search_artists(
    query: str, options: Sequence[ArtistOption], limit: int = 5
) -> list[ArtistSuggestion]:
    """A manual search: the ``limit`` options closest to what the person typed, with the
    closeness of each as its percentage."""
    wanted = ascii_fold(query)
    if not wanted or not options:
        return []
    names = [ascii_fold(option.name) for option in options]
    found = process.extract(wanted, names, scorer=fuzz.ratio, limit=limit)
    return [
        ArtistSuggestion(artist=options[index], percent=round(similarity, 1), reasons=("name",))
        for _, similarity, index in found
    ]
