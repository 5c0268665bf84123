"""A playlist's page on its service, from its id; none for a service without one, or for
an id not written as that service writes them."""

from __future__ import annotations

import pytest

from services.gateway.domain.playlist_links import playlist_url


@pytest.mark.parametrize(
    ("provider", "playlist_id", "url"),
    [
        (
            "spotify",
            "37i9dQZF1DXcBWIGoYBM5M",
            "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        ),
        ("deezer", "908622995", "https://www.deezer.com/playlist/908622995"),
        ("ytmusic", "VLPLabc_D-1", "https://music.youtube.com/playlist?list=PLabc_D-1"),
        (
            "tidal",
            "36ea71a8-445e-41a4-82ab-6628c581535d",
            "https://tidal.com/browse/playlist/36ea71a8-445e-41a4-82ab-6628c581535d",
        ),
        ("plex", "12345", None),  # a media server's: no public page
        ("applemusic", "p.AbC", None),
        ("deezer", "12/../../x", None),  # not a Deezer id: not linked
        ("spotify", "javascript:alert(1)", None),
        ("spotify", None, None),
    ],
)
def test_a_playlist_links_to_its_page_on_its_service(
    provider: str, playlist_id: str | None, url: str | None
) -> None:
    assert playlist_url(provider, playlist_id) == url
