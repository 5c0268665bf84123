"""Reading titles: the work, its version, who is featured, and what is noise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.matcher.domain.titles import parse_title


@pytest.mark.parametrize(
    ("title", "work", "versions", "featured", "remixers"),
    [
        ("Hey Jude (Live at Wembley) [Remastered 2009]", "Hey Jude", {"live", "remaster"}, (), ()),
        ("Titanium (David Guetta Remix)", "Titanium", {"remix"}, (), ("David Guetta",)),
        ("Levels - Avicii Radio Edit", "Levels", {"radio_edit"}, (), ()),
        ("Song (Original Mix)", "Song", set(), (), ()),
        ("Stay (feat. Mikky Ekko)", "Stay", set(), ("Mikky Ekko",), ()),
        ("Despacito ft. Daddy Yankee", "Despacito", set(), ("Daddy Yankee",), ()),
        ("(Don't Fear) The Reaper", "(Don't Fear) The Reaper", set(), (), ()),
        ("Blinding Lights (Sped Up)", "Blinding Lights", {"sped_up"}, (), ()),
        ("Someone Like You (Karaoke Version)", "Someone Like You", {"karaoke"}, (), ()),
        ("Shape of You [Official Lyric Video]", "Shape of You", set(), (), ()),
        ("Kapo - OHANANA (Letra)", "Kapo - OHANANA", set(), (), ()),
        ("Nightcore - Angel With A Shotgun", "Angel With A Shotgun", {"nightcore"}, (), ()),
        ("Live Forever - Oasis", "Live Forever - Oasis", set(), (), ()),
        ("Lose Yourself (Clean)", "Lose Yourself", {"clean"}, (), ()),
        ("Angel (slowed + reverb)", "Angel", {"slowed"}, (), ()),
    ],
)
def test_titles_are_read_into_work_versions_and_credits(
    title: str, work: str, versions: set[str], featured: tuple[str, ...], remixers: tuple[str, ...]
) -> None:
    parsed = parse_title(title)
    assert (parsed.work, set(parsed.versions), parsed.featured, parsed.remixers) == (
        work,
        versions,
        featured,
        remixers,
    )


def test_dashed_titles_keep_both_readings() -> None:
    assert parse_title("Adele - Hello (Official Video) HD").halves == ("Adele", "Hello")
    assert parse_title("Bohemian Rhapsody - Remastered 2011").halves is None
    assert parse_title("Bohemian Rhapsody - Remastered 2011").remaster_year == 2011


@given(st.text(max_size=300))
def test_any_title_parses_to_a_non_empty_work(title: str) -> None:
    parsed = parse_title(title)
    assert isinstance(parsed.work, str)
    if title.strip():
        assert parsed.work


def test_five_thousand_character_titles_parse_quickly() -> None:
    parsed = parse_title("la " * 1700 + "(Live)")
    assert "live" in parsed.versions
