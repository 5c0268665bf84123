"""Equivalent uploads: of two copies of the same audio, the one whose album and uploader
agree with the source wins, each reason a named contribution."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.matcher.domain.scoring import Thresholds, rank, score

SOURCE = Track(
    title="Die With A Smile",
    artists=("Lady Gaga", "Bruno Mars"),
    album="Die With A Smile",
    duration_ms=251_000,
)


def features(track: Track, candidate: Track) -> dict[str, float]:
    return {c.feature: c.contribution for c in score(track, candidate, explain=True).contributions}


def test_the_topic_channel_beats_a_fans_lyrics_upload_of_the_same_audio() -> None:
    fan = Track(
        title="Lady Gaga, Bruno Mars - Die With A Smile (Lyrics)",
        artists=("7clouds",),
        duration_ms=251_500,
        kind="video",
        views=90_000_000,
    )
    topic = Track(
        title="Die With A Smile",
        artists=("Lady Gaga - Topic",),
        duration_ms=251_000,
        kind="song",
        views=2_000_000,
    )
    ranked = rank(SOURCE, [fan, topic])
    assert ranked[0][0] == 1
    assert features(SOURCE, fan)["uploader"] < 0 < features(SOURCE, topic)["uploader"]


def test_the_albums_own_copy_beats_a_compilations_copy() -> None:
    compilation = Track(
        title="Die With A Smile",
        artists=("Lady Gaga", "Bruno Mars"),
        album="Now That's What I Call Music! 120",
        duration_ms=251_000,
        kind="song",
    )
    album = Track(
        title="Die With A Smile",
        artists=("Lady Gaga", "Bruno Mars"),
        album="Die With A Smile",
        duration_ms=251_300,
        kind="song",
    )
    assert rank(SOURCE, [compilation, album])[0][0] == 1
    assert features(SOURCE, compilation)["compilation"] < 0


def test_the_remaster_year_the_source_names_wins() -> None:
    source = Track(title="Layla - 2010 Remastered", artists=("Derek & The Dominos",))
    other_year = Track(title="Layla (Remastered 2003)", artists=("Derek & The Dominos",))
    same_year = Track(title="Layla (2010 Remaster)", artists=("Derek & The Dominos",))
    assert rank(source, [other_year, same_year])[0][0] == 1
    assert features(source, other_year)["remaster"] < 0 < features(source, same_year)["remaster"]


def test_a_candidate_crediting_an_extra_featured_artist_is_another_recording() -> None:
    source = Track(title="Gimme Shelter", artists=("The Rolling Stones",), duration_ms=270_000)
    extra = Track(
        title="Gimme Shelter (feat. Lisa Fischer)",
        artists=("The Rolling Stones",),
        duration_ms=270_000,
        kind="song",
    )
    radio = Track(
        title="Gimme Shelter (Radio Edit)", artists=("The Rolling Stones",), duration_ms=268_000
    )
    hook = Track(
        title="Gimme Shelter (ah ah ah)", artists=("The Rolling Stones",), duration_ms=270_500
    )
    assert score(source, extra).confidence < Thresholds().auto
    assert features(source, extra)["extra_artist"] < 0
    assert rank(source, [extra, radio])[0][0] == 1
    assert rank(source, [extra, hook])[0][0] == 1


def test_an_isrc_on_a_user_upload_is_evidence_not_a_verdict() -> None:
    source = Track(title="Typhoons", artists=("Royal Blood",), isrc="GBAHT2001121")
    upload = Track(
        title="Blackfire backfire LAYOUT | Geometry dash",
        artists=("Some Channel",),
        isrc="GBAHT2001121",
        kind="video",
    )
    catalog = Track(title="Typhoons", artists=("Royal Blood",), isrc="GBAHT2001121", kind="song")
    assert score(source, upload).confidence < Thresholds().review
    assert score(source, catalog).confidence >= 0.999
