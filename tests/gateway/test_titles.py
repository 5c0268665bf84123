"""Raw titles as people paste them: the artist's half goes, the version stays."""

from __future__ import annotations

import pytest

from services.gateway.domain.titles import catalog_queries, title_without_artist


@pytest.mark.parametrize(
    ("title", "artist", "expected"),
    [
        ("Massive Attack - Teardrop", "Massive Attack", "Teardrop"),
        ("Massive Attack - Teardrop (Live)", "massive attack", "Teardrop (Live)"),
        ("Teardrop – Massive Attack (Official Video)", "Massive Attack", "Teardrop"),
        ("Nul | AUX", "Nul", "AUX"),
        # Not the chosen artist's half, or no halves at all: the title stays as it is.
        ("Mass - Attack", "Massive Attack", "Mass - Attack"),
        ("Teardrop", "Massive Attack", "Teardrop"),
        ("A - B - C", "A", "A - B - C"),
    ],
)
def test_the_artist_half_of_a_title_goes(title: str, artist: str, expected: str) -> None:
    assert title_without_artist(title, artist) == expected


def test_catalog_queries_try_each_half_without_the_brackets() -> None:
    assert catalog_queries("Massive Attack - Teardrop (Official Video)") == [
        "Massive Attack",
        "Teardrop",
    ]
    assert catalog_queries("Teardrop [HD]") == ["Teardrop"]
