"""Artist suggestions for the matched-download flow (seed S2)."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.matcher.domain.artists import ArtistOption, search_artists, suggest_artists


def test_title_and_channel_point_at_the_artist() -> None:
    (first, *_) = suggest_artists("Adele - Hello (Official Music Video)", uploader="AdeleVEVO")
    assert first.artist.name == "Adele" and first.percent == 100.0


def test_search_results_that_are_the_same_song_decide_which_side_is_the_artist() -> None:
    suggestions = suggest_artists(
        "Kapo - OHANANA (Letra)",
        uploader="Lyrics Hub",
        duration_ms=157_000,
        search_results=[
            Track(title="OHANANA", artists=("Kapo",), duration_ms=157_000),
            Track(title="Ohanana (Remix)", artists=("Kapo", "Feid")),
        ],
        options=[ArtistOption("Kapo", image_url="https://img/kapo.jpg", provider_id="sp:kapo")],
    )
    names = [s.artist.name for s in suggestions]
    assert names[0] == "Kapo" and "OHANANA" not in names
    assert suggestions[0].artist.image_url == "https://img/kapo.jpg"
    assert 0 < sum(s.percent for s in suggestions) <= 100.1
    assert len(suggestions) <= 5


def test_the_remixer_is_the_track_artist() -> None:
    suggestions = suggest_artists(
        "Titanium (Alesso Remix)",
        search_results=[Track(title="Titanium", artists=("David Guetta", "Sia"))],
    )
    assert suggestions[0].artist.name == "Alesso"
    assert "David Guetta" in [s.artist.name for s in suggestions]


def test_manual_search_ranks_by_name_with_the_closeness_as_percentage() -> None:
    options = [ArtistOption("Beyoncé"), ArtistOption("Bey"), ArtistOption("Destiny's Child")]
    found = search_artists("beyonce", options)
    assert [s.artist.name for s in found] == ["Beyoncé", "Bey", "Destiny's Child"]
    assert found[0].percent == 100.0 and found[1].percent < 100
    assert search_artists("", options) == []
