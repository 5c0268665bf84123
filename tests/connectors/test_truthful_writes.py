"""What the connectors know about writes and searches, as pure logic: a refusal for size,
where an interrupted write resumes, what to search for when an ISRC finds nothing."""

from __future__ import annotations

from services.connectors.domain.limits import classify_deezer, classify_generic, classify_spotify
from services.connectors.domain.operations import resume_point, smaller_batch
from services.connectors.domain.search import bare_title, merged, query_variants
from services.kernel.contracts import Track


def test_a_write_too_large_is_told_apart_for_each_provider() -> None:
    items = {"error": {"type": "Exception", "message": "Items limit exceeded", "code": 100}}
    assert classify_deezer(200, {}, items).outcome == "too_large"
    ids = {"error": {"status": 400, "message": "Too many ids requested"}}
    assert classify_spotify(400, {}, ids).outcome == "too_large"
    assert (
        classify_spotify(400, {}, {"error": {"message": "Invalid limit"}}).outcome == "client_error"
    )
    assert classify_generic(413, {}, None).outcome == "too_large"
    # Ids in the query string past the server's URL limit (Jellyfin): fewer make it shorter.
    assert classify_generic(414, {}, None).outcome == "too_large"
    assert [smaller_batch(n) for n in (100, 3, 1)] == [50, 1, 1]


def test_an_interrupted_write_resumes_after_what_landed() -> None:
    add = ["a", "b", "c", "d"]
    assert resume_point(["x", "y"], add) == 0
    assert resume_point(["x", "a", "b"], add) == 2
    assert resume_point(["a", "b", "c", "d"], add) == 4
    assert resume_point(["x"], add, confirmed=2) == 2  # never before what was confirmed


def test_a_search_asks_with_variants_and_merges_each_recording_once() -> None:
    track = Track(title="Song (Remastered 2011) - Live", artists=("Band",))
    assert bare_title(track.title) == "Song" and bare_title("(Intro)") == "(Intro)"
    assert [(v.title, v.artists) for v in query_variants(track)] == [
        (track.title, ("Band",)),
        ("Song", ("Band",)),
        ("", ("Band",)),
    ]
    assert [v.title for v in query_variants(Track(title="Plain", artists=()))] == ["Plain"]
    one, two = Track(title="1", provider_id="1"), Track(title="2", provider_id="2")
    assert merged([[one, two], [two, one]]) == [one, two]
    assert len(merged([[Track(title=str(n), provider_id=str(n)) for n in range(40)]])) == 25
