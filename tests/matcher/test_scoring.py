"""The scorer: ISRC decides, versions separate recordings, every score explains itself."""

from __future__ import annotations

import math

import pytest

from services.kernel.contracts import Track
from services.matcher.domain.normalise import ascii_fold, channel_artist, fold, split_credits
from services.matcher.domain.scoring import (
    CALIBRATION_OFFSET,
    CALIBRATION_SLOPE,
    Thresholds,
    rank,
    score,
)

AUTO = Thresholds().auto


def test_folding_ignores_case_accents_and_punctuation_but_keeps_scripts() -> None:
    assert fold("Beyoncé — Halo!") == "beyonce halo"
    assert fold("Don't Stop Me Now") == "dont stop me now"
    assert fold("Ｐｏｋｅｍｏｎ") == "pokemon"
    assert fold("Кино") == "кино"
    assert ascii_fold("Кино") == "kino"


def test_credits_split_on_the_usual_separators_and_channels_read_as_artists() -> None:
    assert split_credits(["Tainy, Anuel AA & Ozuna feat. Myke Towers"]) == [
        "Tainy",
        "Anuel AA",
        "Ozuna",
        "Myke Towers",
    ]
    assert split_credits(["Xzibit", "Without Me"]) == ["Xzibit", "Without Me"]
    assert channel_artist("Adele - Topic") == "Adele"
    assert channel_artist("AdeleVEVO") == "Adele"


def test_equal_isrc_decides() -> None:
    a = Track(title="Song", isrc="GBAYE0601498")
    b = Track(title="Completely different", isrc="gbaye0601498")
    assert score(a, b).confidence >= 0.99


def test_the_same_recording_from_another_service_is_auto() -> None:
    source = Track(title="Uptown Funk", artists=("Mark Ronson", "Bruno Mars"), duration_ms=270_626)
    youtube = Track(
        title="Uptown Funk (feat. Bruno Mars)",
        artists=("Mark Ronson",),
        duration_ms=271_000,
        kind="song",
    )
    assert score(source, youtube).confidence >= AUTO


@pytest.mark.parametrize(
    "decoy",
    [
        Track(title="Hey Jude (Live)", artists=("The Beatles",), duration_ms=431_000),
        Track(title="Hey Jude (Karaoke Version)", artists=("Sing King",), duration_ms=431_000),
        Track(title="Hey Jude", artists=("Elvis Presley",), duration_ms=260_000),
        Track(title="Hey Jude (Sped Up)", artists=("The Beatles",), duration_ms=345_000),
        Track(title="Hey Jude - Instrumental", artists=("The Beatles",), duration_ms=431_000),
        Track(title="Nightcore - Hey Jude", artists=("Nightcore Channel",), kind="video"),
    ],
    ids=["live", "karaoke", "cover", "sped-up", "instrumental", "nightcore"],
)
def test_decoys_are_never_auto_matched(decoy: Track) -> None:
    source = Track(title="Hey Jude", artists=("The Beatles",), duration_ms=431_000)
    assert score(source, decoy).confidence < AUTO


def test_clean_is_not_auto_matched_for_explicit() -> None:
    source = Track(title="Lose Yourself", artists=("Eminem",), explicit=True)
    clean = Track(title="Lose Yourself", artists=("Eminem",), explicit=False)
    assert score(source, clean).confidence < AUTO


def test_different_edit_lengths_lower_confidence() -> None:
    source = Track(title="One More Time", artists=("Daft Punk",), duration_ms=320_000)
    same = Track(title="One More Time", artists=("Daft Punk",), duration_ms=322_000)
    radio = Track(title="One More Time", artists=("Daft Punk",), duration_ms=230_000)
    assert score(source, same).confidence > 0.97
    assert score(source, radio).confidence < Thresholds().review


def test_numbered_titles_are_different_works() -> None:
    source = Track(title="Symphony No. 5", artists=("Beethoven",))
    assert score(source, Track(title="Symphony No. 9", artists=("Beethoven",))).confidence < 0.5


def test_explain_lists_each_feature_and_adds_up() -> None:
    source = Track(title="Hello", artists=("Adele",), duration_ms=295_000)
    video = Track(
        title="Adele - Hello (Official Music Video)",
        artists=("AdeleVEVO",),
        duration_ms=367_000,
        kind="video",
    )
    explained = score(source, video, explain=True)
    features = {c.feature: c for c in explained.contributions}
    assert {"bias", "title", "artists", "duration", "kind"} <= set(features)
    assert features["duration"].contribution < 0 and features["title"].value == 1.0
    logit = sum(c.contribution for c in explained.contributions)
    calibrated = CALIBRATION_SLOPE * logit + CALIBRATION_OFFSET
    assert explained.confidence == pytest.approx(1 / (1 + math.exp(-calibrated)), abs=1e-3)


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


def test_thresholds_decide() -> None:
    thresholds = Thresholds(auto=0.9, review=0.5)  # explicit, not the defaults
    assert [thresholds.decide(c) for c in (0.95, 0.9, 0.7, 0.49)] == [
        "auto",
        "auto",
        "review",
        "none",
    ]
