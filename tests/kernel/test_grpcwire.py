"""Tracks cross the gRPC boundary whole: what a catalog knows reaches the caller."""

from __future__ import annotations

from services.kernel.contracts import Track
from services.kernel.grpcwire import track_from_proto, track_to_proto


def test_every_field_of_a_track_survives_the_wire() -> None:
    track = Track(
        title="Harder Better Faster Stronger",
        artists=("Daft Punk",),
        album="Discovery",
        album_artists=("Daft Punk",),
        track_number=4,
        disc_number=1,
        duration_ms=224_000,
        isrc="GBDUW0000059",
        explicit=False,
        release_date="2001-03-07",
        provider="deezer",
        provider_id="3135556",
        kind="song",
        views=12,
        genres=("Electro",),
        artwork_urls=("https://example.org/cover.jpg",),
    )
    assert track_from_proto(track_to_proto(track)) == track


def test_unknown_fields_stay_unknown() -> None:
    track = Track(title="Untitled")
    assert track_from_proto(track_to_proto(track)) == track


def test_an_album_and_an_artist_survive_the_wire_as_such() -> None:
    album = Track(
        title="Discovery",
        artists=("Daft Punk",),
        release_date="2001-03-07",
        track_total=14,
        provider="deezer",
        provider_id="302127",
        entity="album",
        upc="724384960650",
    )
    artist = Track(title="Daft Punk", provider="deezer", provider_id="27", entity="artist")
    assert track_from_proto(track_to_proto(album)) == album
    assert track_from_proto(track_to_proto(artist)) == artist
