"""Credits in every language the providers localise into, read into structured artists."""

from __future__ import annotations

import pytest

from services.kernel.contracts import Track
from services.matcher.domain.credits import FEATURING, JOINERS
from services.matcher.domain.normalise import split_credits
from services.matcher.domain.scoring import Thresholds, rank
from services.matcher.domain.titles import parse_title


@pytest.mark.parametrize(
    ("language", "credit", "artists"),
    [
        ("de", "Potap und Nastya", ["Potap", "Nastya"]),
        ("de", "Kraftklub mit Casper", ["Kraftklub", "Casper"]),
        ("fr", "Angèle et Roméo Elvis", ["Angèle", "Roméo Elvis"]),
        ("fr", "Aya Nakamura avec Damso", ["Aya Nakamura", "Damso"]),
        ("es", "Wisin y Yandel", ["Wisin", "Yandel"]),
        ("es", "Rosalía con J Balvin", ["Rosalía", "J Balvin"]),
        ("it", "Måneskin e Iggy Pop", ["Måneskin", "Iggy Pop"]),
        ("pt", "Anitta com Cardi B", ["Anitta", "Cardi B"]),
        ("nl", "Suzan en Freek", ["Suzan", "Freek"]),
        ("nl", "Snelle met Maan", ["Snelle", "Maan"]),
        ("pl", "Mata i Young Igi", ["Mata", "Young Igi"]),
        ("pl", "Fukaj oraz Mata", ["Fukaj", "Mata"]),
        ("ja", "米津玄師、宇多田ヒカル", ["米津玄師", "宇多田ヒカル"]),
        ("ja", "YOASOBI・Ayase", ["YOASOBI", "Ayase"]),
        ("ja", "キタニタツヤ&はるまきごはん", ["キタニタツヤ", "はるまきごはん"]),
        ("any", "Fukaj x Mata", ["Fukaj", "Mata"]),
        ("any", "Ado×Eve", ["Ado", "Eve"]),
        ("ru", "Потап и Настя", ["Потап", "Настя"]),
    ],
)
def test_each_languages_joiners_split_credits(
    language: str, credit: str, artists: list[str]
) -> None:
    assert split_credits([credit]) == artists, language


def test_names_that_contain_joiner_letters_stay_whole() -> None:
    assert split_credits(["Xzibit"]) == ["Xzibit"]
    assert split_credits(["Jay Z"]) == ["Jay Z"]
    assert split_credits(["Without Me"]) == ["Without Me"]
    # A foreign name in katakana is one name, not two.
    assert split_credits(["ジャスティン・ビーバー"]) == ["ジャスティン・ビーバー"]


@pytest.mark.parametrize(
    ("title", "featured"),
    [
        ("Sonne (mit Kasimir & Liz)", ("Kasimir & Liz",)),
        ("Dernière danse (avec Soprano)", ("Soprano",)),
        ("Despechá (con Tokischa)", ("Tokischa",)),
        ("Envolver (com Anitta)", ("Anitta",)),
        ("Dansen (met Maan)", ("Maan",)),
        ("Hello (feat. Someone)", ("Someone",)),
        ("Hello feat. Someone", ("Someone",)),
    ],
)
def test_localised_featuring_in_titles_becomes_featured_artists(
    title: str, featured: tuple[str, ...]
) -> None:
    parsed = parse_title(title)
    assert parsed.featured == featured
    assert "(" not in parsed.work


def test_localised_words_outside_brackets_are_part_of_the_title() -> None:
    assert parse_title("Bailando con lobos").work == "Bailando con lobos"
    assert parse_title("Bailando con lobos").featured == ()


def test_the_table_covers_every_language_the_issue_lists() -> None:
    for language in ("de", "fr", "es", "it", "pt", "nl", "pl", "ja"):
        assert language in JOINERS
    for word in ("mit", "avec", "con", "com", "met"):
        assert any(word in words for words in FEATURING.values())


@pytest.mark.parametrize(
    ("title", "artists"),
    [
        ("Dancing (mit Bruno Mars)", ["Lady Gaga"]),
        ("Dancing", ["Lady Gaga und Bruno Mars"]),
        ("Dancing", ["Lady Gaga et Bruno Mars"]),
        ("Dancing (con Bruno Mars)", ["Lady Gaga"]),
        ("Dancing", ["Lady Gaga、Bruno Mars"]),
        ("Dancing", ["Lady Gaga x Bruno Mars"]),
        ("Dancing", ["Lady Gaga Bruno Mars"]),  # run together, no separator
    ],
)
def test_a_localised_credit_still_matches_the_right_track(title: str, artists: list[str]) -> None:
    source = Track(title="Dancing", artists=("Lady Gaga", "Bruno Mars"), duration_ms=250_000)
    right = Track(title=title, artists=tuple(artists), duration_ms=250_500, kind="song")
    other = Track(title="Dancing Queen", artists=("ABBA",), duration_ms=231_000)
    ranked = rank(source, [other, right])
    assert ranked[0][0] == 1
    assert ranked[0][1].confidence >= Thresholds().auto
