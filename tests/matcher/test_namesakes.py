"""Two artists of one name told apart by their albums: the one that shares clearly more
of the source artist's albums (by UPC or by title) is taken; none, or as many, is a
question for a person."""

from __future__ import annotations

from services.kernel.contracts import ArtistAlbum, Track
from services.matcher.domain.releases import clearly_more, rank_release, shared_albums
from services.matcher.domain.scoring import Thresholds

DECIDE = Thresholds()
NEVERMIND = ArtistAlbum(title="Nevermind", release_date="1991-09-24", upc="0720642442524")
BLEACH = ArtistAlbum(title="Bleach", release_date="1989-06-15")
UTERO = ArtistAlbum(title="In Utero", release_date="1993")


def artist(*albums: ArtistAlbum) -> Track:
    return Track(title="Nirvana", entity="artist", albums=albums)


def test_albums_are_shared_by_upc_or_by_title_each_once() -> None:
    by_upc = ArtistAlbum(title="Nevermind [30th]", upc="720642442524")
    assert shared_albums([NEVERMIND], [by_upc]) == 1
    remastered = ArtistAlbum(title="Bleach (Remastered)")
    assert shared_albums([NEVERMIND, BLEACH, UTERO], [remastered, UTERO]) == 2
    assert shared_albums([BLEACH, BLEACH], [BLEACH]) == 1
    assert shared_albums([NEVERMIND], [ArtistAlbum(title="Local Anaesthetic")]) == 0


def test_only_clearly_more_albums_decide() -> None:
    assert clearly_more([2, 0]) == 0
    assert clearly_more([1, 3]) == 1
    assert clearly_more([2, 1]) == 0
    assert clearly_more([2, 2]) is None
    assert clearly_more([3, 2]) is None
    assert clearly_more([0, 0]) is None


def test_the_namesake_with_the_source_artists_albums_is_taken() -> None:
    source = artist(NEVERMIND, BLEACH, UTERO)
    sixties = artist(ArtistAlbum(title="The Story of Simon Simopath", release_date="1968"))
    grunge = artist(ArtistAlbum(title="Nevermind"), ArtistAlbum(title="In Utero"))
    ranked = rank_release(source, [sixties, grunge])
    assert ranked[0][0] == 1 and DECIDE.decide(ranked[0][1].confidence) == "auto"
    assert DECIDE.decide(ranked[1][1].confidence) == "review"
    assert ("albums", 2) in [(c.feature, c.value) for c in ranked[0][1].contributions]


def test_no_or_equal_overlap_stays_a_question() -> None:
    source = artist(NEVERMIND, BLEACH)
    for pair in (
        [artist(), artist()],
        [artist(NEVERMIND), artist(BLEACH)],
        [artist(ArtistAlbum(title="Other")), artist(ArtistAlbum(title="Else"))],
    ):
        ranked = rank_release(source, pair)
        assert all(DECIDE.decide(score.confidence) == "review" for _, score in ranked)
    # Nothing listed for the source artist: its namesakes' albums cannot decide.
    ranked = rank_release(artist(), [artist(NEVERMIND), artist()])
    assert all(DECIDE.decide(score.confidence) == "review" for _, score in ranked)
