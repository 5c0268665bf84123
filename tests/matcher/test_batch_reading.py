"""Reading a batch of tracks at once (``prepare_many``) reads each one exactly as reading
it alone does: same keys, same facts, same artist sets in the same order (the order
their similarities are summed in), on real titles and credits and on generated ones."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from services.kernel.contracts import TrackDocument
from services.matcher.domain import scoring
from services.matcher.domain.normalise import fold
from services.matcher.domain.scoring import Prepared, prepare_many
from services.matcher.domain.titles import _DECORATIONS, _SPECIAL_CHARACTERS

DATA = Path(__file__).parents[1] / "data" / "matcher"

#: Titles and credits that take every branch: plain, decorated, dashed, featuring,
#: channels, joiners, other scripts, odd white space, the placeholder character.
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "A\nB",
    "Tab\there",
    "x\x1cy",
    "Rock & Roll",
    "Don't Stop",
    "  spaced   out  ",
    "Song 1080p",
    "Song HD",
    "Song feat. X",
    "Song ft X",
    "Song - Live",
    "(Live)",
    "Song (Live) (feat. A & B)",
    "Song // Other",
    "Ｆｕｌｌ ｗｉｄｔｈ",
    "Café",
    "Straße",
    "AC/DC",
    "Song (Remastered 2011)",
    "Artist - Title (Official Video)",
    "The The",
    "Adele - Topic",
    "AdeleVEVO",
    "A x B",
    "A und B",
    "Tom and Jerry Band",
    "A vs. B",
    "Кино",
    "米津玄師",
    "Song 2 (Live 1999)",
]

#: Credit lists whose reading hangs on a detail: a credit that is only brackets, the
#: same artist twice in two cases, a channel beside an artist, joiners, one name.
CREDIT_LISTS = [
    ["(", "A"],
    ["A", "a"],
    [" ", "X"],
    ["The Band", "the band", "Other"],
    ["A - Topic", "B"],
    ["x & y", "z"],
    ["AC/DC"],
    ["Adele", "Adele"],
    ["One Two Three", "Four and Five Six"],
    ["-"],
]


def _documents() -> list[TrackDocument]:
    found: list[TrackDocument] = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            case = json.loads(line)
            for track in (case["source"], *case["candidates"]):
                found.append(TrackDocument(**{k: v for k, v in track.items() if k != "id"}))
    for index, text in enumerate(ODD):
        found.append(TrackDocument(title=text or "x", artists=[ODD[-1 - index], text]))
        found.append(TrackDocument(title=f"{text} (Live)", artists=text, kind="video"))
        found.append(TrackDocument(title="Song", artists=[text], album=text or None))
    for credits in CREDIT_LISTS:
        for title in ("Song", "Song (Live)", "Song (feat. Guest)"):
            found.append(TrackDocument(title=title, artists=credits))
            found.append(TrackDocument(title=title, artists=credits, kind="video"))
    return found


def _clear() -> None:
    for cache in (
        scoring._keys,
        scoring._title_cache,
        scoring._credit_cache,
        scoring._album_cache,
        scoring._text_cache,
        scoring._artist_cache,
    ):
        cache.clear()


def _alone(track: TrackDocument) -> Prepared:
    """``prepare`` by the one-at-a-time readers only (no batch shortcuts)."""
    raw = track.artists
    artists = (raw,) if isinstance(raw, str) else tuple(filter(None, raw or ()))
    kind = scoring._KINDS.get(track.kind or "", 0)
    work, facts = scoring._title_facts(track.title)
    text = scoring._read_text(work, facts, scoring._read_credits(artists), kind == 2)
    explicit = track.explicit if track.explicit is not None else facts.explicit_hint
    album = None
    compilation = False
    if track.album:
        album = scoring._one_key(track.album)
        compilation = bool(scoring._COMPILATION.search(album.text))
    return Prepared(
        text,
        album,
        compilation,
        int(track.duration_ms or 0),
        track.isrc.replace("-", "").upper() if track.isrc else None,
        -1 if explicit is None else int(explicit),
        kind,
        track.views or 0,
        kind == 1 or text.official,
    )


def _seen(prepared: Prepared) -> tuple[object, ...]:
    """What scoring reads of a prepared track, sets as their order of iteration."""
    text = prepared.text
    readings = tuple(
        (reading.title[1:], tuple(reading.artists), reading.primary, reading.weight)
        for reading in text.readings
    )
    album = prepared.album[1:] if prepared.album else None
    return (
        text.facts,
        readings,
        tuple(text.featured),
        tuple(text.names),
        text.official,
        text.lyrics,
        album,
        *prepared[2:],
    )


def test_a_batch_reads_every_track_as_reading_it_alone_does() -> None:
    tracks = _documents()
    _clear()
    together = prepare_many(tracks)
    _clear()
    alone = [_alone(track) for track in tracks]
    assert len(together) == len(tracks)
    for track, batch, single in zip(tracks, together, alone, strict=True):
        assert _seen(batch) == _seen(single), track


_ASCII_PARTS = st.sampled_from(
    [
        "a",
        "Song",
        "THE",
        "feat.",
        "ft",
        "x",
        "and",
        "&",
        "'",
        "`",
        "(",
        ")",
        "[",
        "-",
        " - ",
        "|",
        "/",
        "//",
        " ",
        "  ",
        "\t",
        "\x1c",
        "1080p",
        "2011",
        "Live",
        "Remix",
        "Official Video",
        "Topic",
        "VEVO",
        ",",
        ";",
        "+",
    ]
)
_ASCII_TEXT = st.lists(_ASCII_PARTS, max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ASCII_TEXT, st.lists(_ASCII_TEXT, max_size=3)), min_size=1))
def test_generated_ascii_titles_and_credits_read_alike(
    pairs: list[tuple[str, list[str]]],
) -> None:
    tracks = [TrackDocument(title=title or "x", artists=artists) for title, artists in pairs]
    _clear()
    together = list(map(_seen, prepare_many(tracks)))
    _clear()
    assert together == [_seen(_alone(track)) for track in tracks]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ASCII_TEXT, max_size=20))
def test_ascii_folding_of_many_texts_is_fold_of_each(texts: list[str]) -> None:
    assert scoring._ascii_folds(texts) == [fold(text) for text in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ASCII_TEXT, min_size=1, max_size=30))
def test_where_decorations_begin_is_found_as_the_title_reader_finds_it(
    titles: list[str],
) -> None:
    special = frozenset(c for c in _SPECIAL_CHARACTERS if c.isascii())
    expected = []
    for title in titles:
        found = _DECORATIONS.search(title)
        expected.append(found.start() if found else (-1 if special.isdisjoint(title) else -2))
    assert scoring._decorations_at(titles) == expected
