"""Albums and artists: the same release by UPC, else by title, artist, year and track
count; an artist by name, and never one of two of the same name without a person."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.matcher.domain.releases import rank_release, score_album, score_artist
from services.matcher.domain.scoring import Thresholds

DECIDE = Thresholds()
SOURCE = Track(
    title="Random Access Memories",
    artists=("Daft Punk",),
    track_total=13,
    release_date="2013-05-17",
    upc="886443927087",
    entity="album",
)


def album(title: str, artist: str = "Daft Punk", **facts: object) -> Track:
    return Track(title=title, artists=(artist,), entity="album", **facts)  # type: ignore[arg-type]


def test_an_equal_upc_decides_whatever_the_names_say() -> None:
    found = score_album(SOURCE, album("RAM", "Various", upc="0886443927087"))
    assert DECIDE.decide(found.confidence) == "auto"


def test_without_a_upc_title_artist_year_and_track_count_decide() -> None:
    same = album("Random Access Memories", track_total=13, release_date="2013")
    assert DECIDE.decide(score_album(SOURCE, same).confidence) == "auto"
    edition = album("Random Access Memories (Remastered)", track_total=13, release_date="2013")
    assert DECIDE.decide(score_album(SOURCE, edition).confidence) == "auto"
    longer = album("Random Access Memories", track_total=16, release_date="2013")
    assert DECIDE.decide(score_album(SOURCE, longer).confidence) == "review"
    deluxe = album("Random Access Memories (10th Anniversary Edition)", track_total=22)
    assert DECIDE.decide(score_album(SOURCE, deluxe).confidence) == "review"
    tribute = album("Random Access Memories", "The Tribute Band", track_total=13)
    assert DECIDE.decide(score_album(SOURCE, tribute).confidence) == "none"
    other = album("Discovery", track_total=14, release_date="2001")
    assert DECIDE.decide(score_album(SOURCE, other).confidence) == "none"


def test_an_artist_by_name_and_two_of_the_same_name_go_to_review() -> None:
    source = Track(title="Aurora", entity="artist")
    same = score_artist(source, Track(title="AURORA", entity="artist"))
    assert DECIDE.decide(same.confidence) == "auto"
    ranked = rank_release(
        source,
        [Track(title="Aurora Lane", entity="artist"), Track(title="Aurora", entity="artist")],
    )
    assert ranked[0][0] == 1 and DECIDE.decide(ranked[0][1].confidence) == "auto"
    twins = [Track(title="Aurora", entity="artist"), Track(title="Aurora", entity="artist")]
    assert DECIDE.decide(rank_release(source, twins)[0][1].confidence) == "review"
