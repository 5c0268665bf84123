"""The library index answers "is it there?" without comparing every pair."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.matcher.domain.library import LibraryIndex


def test_library_index_finds_each_source_and_knows_what_is_missing() -> None:
    library = [Track(title=f"Song {n}", artists=(f"Artist {n}",)) for n in range(2000)]
    library.append(Track(title="Teardrop", artists=("Massive Attack",), isrc="GBAAA9800001"))
    library.append(Track(title="Hello (Live)", artists=("Adele",)))
    index = LibraryIndex(library)
    found = index.best_matches(
        [
            Track(title="teardrop", artists=("massive attack",)),
            Track(title="Whatever", isrc="GBAAA9800001"),
            Track(title="Not in the library at all", artists=("Nobody",)),
            Track(title="Hello", artists=("Adele",)),
            Track(title="Song 1234", artists=("Artist 1234",)),
        ]
    )
    assert found[0][0] is library[-2] and found[0][1] > 0.95
    assert found[1] == (library[-2], 0.999)
    assert found[2][1] < 0.8
    assert found[3][1] < 0.8  # only a live recording is there
    assert found[4][0] is library[1234]


def test_empty_library_and_empty_titles() -> None:
    assert LibraryIndex([]).best_matches([Track(title="x")]) == [(None, 0.0)]
    assert LibraryIndex([Track(title="x")]).best_matches([Track(title="!!!")]) == [(None, 0.0)]
