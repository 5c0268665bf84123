"""Names across scripts: a Latin reading per script family, word order ignored for names."""

from __future__ import annotations

import pytest

from services.kernel.contracts import Track
from services.matcher.domain.scoring import Thresholds, rank, score
from services.matcher.domain.scripts import cross_script_similarity, romanise


@pytest.mark.parametrize(
    ("original", "latin"),
    [
        ("米津玄師", "Kenshi Yonezu"),  # kanji, family name first; romaji given name first
        ("宇多田ヒカル", "Hikaru Utada"),
        ("星野源", "Gen Hoshino"),
        ("ザ・ビートルズ", "The Beatles"),  # katakana loanword
        ("ジョン・レノン", "John Lennon"),
        ('להקת הנח"ל', "Lahakat HaNahal"),  # Hebrew: vowels unwritten
        ("חצי שלי", "Hatzi Sheli"),
        ("فيروز", "Fairuz"),  # Arabic
        ("Кино", "Kino"),  # Cyrillic
        ("Потап и Настя", "Potap i Nastya"),
        ("Νίκος Βέρτης", "Nikos Vertis"),  # Greek
        ("방탄소년단", "Bangtan Sonyeondan"),  # Hangul
        ("周杰倫", "Zhou Jielun"),  # Chinese, pinyin
    ],
)
def test_the_same_name_in_two_scripts_meets(original: str, latin: str) -> None:
    assert cross_script_similarity(original, latin) >= 0.9


@pytest.mark.parametrize(
    ("original", "latin"),
    [("米津玄師", "Gen Hoshino"), ("שיר לשלום", "Jerusalem of Gold"), ("Кино", "Aria")],
)
def test_different_names_stay_apart(original: str, latin: str) -> None:
    assert cross_script_similarity(original, latin) < 0.7


def test_han_only_text_is_read_both_as_japanese_and_as_chinese() -> None:
    readings = romanise("星野源")
    assert "hoshino gen" in readings
    assert any("xing" in reading for reading in readings)


def test_a_kanji_credit_matches_its_romaji_credit_and_keeps_the_original() -> None:
    source = Track(title="Lemon", artists=("米津玄師",), duration_ms=255_000)
    right = Track(title="Lemon", artists=("Kenshi Yonezu",), duration_ms=255_500, kind="song")
    other = Track(title="Lemon", artists=("Gen Hoshino",), duration_ms=230_000, kind="song")
    ranked = rank(source, [other, right], explain=True)
    assert ranked[0][0] == 1
    assert ranked[0][1].confidence >= Thresholds().auto
    assert source.artists == ("米津玄師",)  # the original is what is stored and shown


def test_a_hebrew_credit_in_latin_letters_matches() -> None:
    source = Track(title="Shir LaShalom", artists=('להקת הנח"ל',), duration_ms=200_000)
    right = Track(title="Shir LaShalom", artists=("Lahakat HaNahal",), duration_ms=200_500)
    assert score(source, right).confidence >= Thresholds().auto
