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


@dataclass(frozen=True)
class Release:
    """One album or artist as each service knows it (``deezer_id`` 0: Deezer has none)."""

    title: str
    artist: str
    spotify_id: str
    deezer_id: int


def shared_albums(
    spotify: SpotifyState,
    deezer: DeezerState | None,
    count: int,
    start: int = 0,
    upc_on_deezer: bool = True,
) -> list[Release]:
    """``count`` albums in both catalogues, cloned from the recorded ones: the same title,
    artist, year and track count, and the same UPC on both (``upc_on_deezer`` False:
    Deezer's record has another, so only the title, artist, year and count match them);
    with no ``deezer``, albums Deezer does not have."""
    spotify_base = next(iter(spotify.albums.values()))
    deezer_base = next(iter((deezer or DeezerState()).albums.values()))
    made = []
    for number in range(start, start + count):
        title = f"{WORDS[number % len(WORDS)].title()} Sessions {number}"
        artist, upc = ARTISTS[number % len(ARTISTS)], f"42{number:011d}"
        year, tracks = 1990 + number % 30, 8 + number % 9
        album = copy.deepcopy(spotify_base)
        album.update(
            id=f"alb{number:019d}",
            name=title,
            release_date=f"{year}-05-01",
            release_date_precision="day",
            total_tracks=tracks,
            external_ids={"upc": upc},
        )
        album["uri"] = f"spotify:album:{album['id']}"
        album["artists"] = [{"id": f"ar{number % 5}", "name": artist, "type": "artist"}]
        spotify.albums[album["id"]] = album
        item = copy.deepcopy(deezer_base)
        item.update(
            id=600_000_000 + number,
            title=title,
            upc=upc if upc_on_deezer else f"99{number:011d}",
            nb_tracks=tracks,
            release_date=f"{year}-05-01",
        )
        item["artist"] = {**item.get("artist", {}), "name": artist, "id": 50 + number % 5}
        if deezer is not None:
            deezer.albums[item["id"]] = item
        made.append(Release(title, artist, album["id"], item["id"] if deezer else 0))
    return made


def shared_artists(
    spotify: SpotifyState, deezer: DeezerState | None, count: int, start: int = 0
) -> list[Release]:
    """``count`` artists on both services under the same name (with no ``deezer``,
    artists Deezer does not have)."""
    deezer_base = next(iter((deezer or DeezerState()).artists.values()))
    made = []
    for number in range(start, start + count):
        name = f"{WORDS[number % len(WORDS)].title()} {WORDS[(number // 7) % len(WORDS)]} {number}"
        spotify_id = f"art{number:019d}"
        spotify.artists[spotify_id] = {
            "id": spotify_id,
            "name": name,
            "type": "artist",
            "uri": f"spotify:artist:{spotify_id}",
            "genres": [],
            "images": [],
        }
        item = {**copy.deepcopy(deezer_base), "id": 500_000_000 + number, "name": name}
        if deezer is not None:
            deezer.artists[item["id"]] = item
        made.append(Release(name, name, spotify_id, item["id"] if deezer else 0))
    return made
