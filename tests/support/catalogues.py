"""Recordings that exist on both emulated services, as the real ones share most of theirs:
the same song, its own id on each side, the same ISRC, title, artist and length."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from tests.emulators.deezer import DeezerState
from tests.emulators.spotify import SpotifyState

ARTISTS = ("Aurora Lane", "The Night Ferries", "Kofi Mensah", "Léa Marchand", "Quiet Harbour")
WORDS = ("river", "glass", "summer", "lantern", "orbit", "velvet", "harbour", "ember", "north")


@dataclass(frozen=True)
class Recording:
    """One song as each service knows it."""

    title: str
    artist: str
    isrc: str
    spotify_id: str
    deezer_id: int

    @property
    def spotify_uri(self) -> str:
        return f"spotify:track:{self.spotify_id}"


def _title(number: int) -> str:
    return f"{WORDS[number % len(WORDS)].title()} {WORDS[(number // 3) % len(WORDS)]} {number}"


def shared_recordings(
    spotify: SpotifyState, deezer: DeezerState | None, count: int, start: int = 0
) -> list[Recording]:
    """``count`` recordings added to both catalogues (numbers from ``start`` on); with no
    ``deezer``, to Spotify's only (an exclusive Deezer does not have)."""
    spotify_base = next(iter(spotify.catalogue.values()))
    deezer_base = (deezer or DeezerState()).catalogue[0]
    made = []
    for number in range(start, start + count):
        title, artist = _title(number), ARTISTS[number % len(ARTISTS)]
        isrc, seconds = f"TBX26{number:07d}", 150 + number % 120
        track = copy.deepcopy(spotify_base)
        track["id"] = f"rec{number:019d}"
        track["uri"] = f"spotify:track:{track['id']}"
        track["name"] = title
        track["artists"] = [{"id": f"ar{number % 5}", "name": artist}]
        track["duration_ms"] = seconds * 1000
        track["external_ids"] = {"isrc": isrc}
        track["explicit"] = False
        spotify.catalogue[track["uri"]] = track
        item = copy.deepcopy(deezer_base)
        item.update(
            id=700_000_000 + number,
            title=title,
            title_short=title,
            duration=seconds,
            isrc=isrc,
            explicit_lyrics=False,
            contributors=[],
        )
        item["artist"] = {**item.get("artist", {}), "name": artist, "id": 50 + number % 5}
        if deezer is not None:
            deezer.catalogue.append(item)
        made.append(Recording(title, artist, isrc, track["id"], item["id"]))
    return made
