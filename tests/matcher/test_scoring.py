"""The first scorer: ISRC decides, text and duration weigh, thresholds decide."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.matcher.domain.library import LibraryIndex
from services.matcher.domain.normalise import fold
from services.matcher.domain.scoring import Thresholds, rank, score


def test_folding_ignores_case_accents_and_punctuation_but_keeps_scripts() -> None:
    assert fold("Beyoncé — Halo!") == "beyonce halo"
    assert fold("Ｐｏｋｅｍｏｎ") == "pokemon"
    assert fold("Кино") == "кино"


def test_equal_isrc_decides() -> None:
    a = Track(title="Song", isrc="GBAYE0601498")
    b = Track(title="Completely different", isrc="gbaye0601498")
    assert score(a, b) == 1.0


def test_different_edit_lengths_lower_confidence() -> None:
    source = Track(title="One More Time", artists=("Daft Punk",), duration_ms=320_000)
    same = Track(title="One More Time", artists=("Daft Punk",), duration_ms=322_000)
    radio = Track(title="One More Time", artists=("Daft Punk",), duration_ms=230_000)
    assert score(source, same) > 0.95
    assert score(source, radio) < Thresholds().review


def test_numbered_titles_are_different_works() -> None:
    source = Track(title="Symphony No. 5", artists=("Beethoven",))
    assert score(source, Track(title="Symphony No. 9", artists=("Beethoven",))) < 0.8


def test_rank_puts_the_right_artist_first() -> None:
    source = Track(title="Stay", artists=("Rihanna",))
    ranked = rank(
        source,
        [
            Track(title="Stay", artists=("Zedd",)),
            Track(title="Stay", artists=("Rihanna", "Mikky Ekko")),
        ],
    )
    assert ranked[0][0] == 1


def test_library_index_finds_each_source_in_one_pass() -> None:
    library = [Track(title=f"Song {n}", artists=(f"Artist {n}",)) for n in range(2000)]
    library.append(Track(title="Teardrop", artists=("Massive Attack",), isrc="GBAAA9800001"))
    index = LibraryIndex(library)
    found = index.best_matches(
        [
            Track(title="teardrop", artists=("massive attack",)),
            Track(title="Whatever", isrc="GBAAA9800001"),
            Track(title="Not in the library at all", artists=("Nobody",)),
        ]
    )
    assert found[0][0] is not None and found[0][0].title == "Teardrop" and found[0][1] > 0.95
    assert found[1] == (library[-1], 1.0)
    assert found[2][1] < 0.8
