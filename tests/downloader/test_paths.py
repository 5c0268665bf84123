"""Library paths stay inside the library whatever the metadata says."""

from __future__ import annotations

from pathlib import PurePosixPath

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.downloader.domain.paths import Layout, TemplateError, safe_component, target_path
from services.downloader.domain.planning import plan
from services.downloader.settings import DownloaderSettings
from services.kernel.contracts import Track
from services.kernel.settings import SettingsError, load


def test_album_tracks_and_singles_follow_the_default_layout() -> None:
    album_track = Track(
        title="Hey Jude", artists=("The Beatles",), album="Hey Jude", track_number=1
    )
    assert target_path(album_track, "opus") == "The Beatles/The Beatles - Hey Jude/01 Hey Jude.opus"
    single = Track(title="Hello", artists=("Adele",))
    assert target_path(single, "m4a") == "Adele/Adele - Hello/Hello.m4a"


def test_album_artist_keeps_an_album_together() -> None:
    a = Track(title="A", artists=("X feat. Y",), album_artists=("X",), album="Al", track_number=1)
    b = Track(title="B", artists=("X",), album_artists=("X",), album="Al", track_number=2)
    assert (
        PurePosixPath(target_path(a, "opus")).parent == PurePosixPath(target_path(b, "opus")).parent
    )


def test_hostile_metadata_is_defused() -> None:
    track = Track(title="../../etc/passwd\x00\n", artists=("..",), album="CON", track_number=3)
    path = target_path(track, "opus")
    assert ".." not in PurePosixPath(path).parts
    assert "\x00" not in path and "\n" not in path
    assert path == "Unknown/Unknown - _CON/03 _.._etc_passwd.opus"


@given(st.text(), st.text(), st.text(), st.integers(0, 999) | st.none())
def test_any_metadata_gives_a_relative_path_of_safe_components(
    title: str, artist: str, album: str, number: int | None
) -> None:
    track = Track(title=title, artists=(artist,), album=album or None, track_number=number)
    path = PurePosixPath(target_path(track, "opus"))
    assert not path.is_absolute()
    for part in path.parts:
        assert part not in ("", ".", "..")
        assert len(part.encode()) <= 255
        assert not any(ord(ch) < 32 for ch in part)


def test_five_thousand_character_titles_are_cut_to_a_filesystem_name() -> None:
    part = safe_component("ü" * 5000)
    assert len(part.encode()) <= 180 and part.startswith("ü")


def test_plan_keeps_positions_and_builds_queries() -> None:
    tracks = (Track(title="Teardrop", artists=("Massive Attack",)), Track(title="Intro"))
    items = plan(tracks, (4, 9), "opus")
    assert [i.position for i in items] == [4, 9]
    assert [i.search_query for i in items] == ["Massive Attack - Teardrop", "Intro"]


def test_multi_disc_albums_get_disc_folders() -> None:
    second = Track(title="Song", artists=("A",), album="Double", track_number=1, disc_number=2)
    assert target_path(second, "flac") == "A/A - Double/Disc 2/01 Song.flac"
    first = Track(title="Song", artists=("A",), album="Double", track_number=1, disc_number=1)
    two_discs = msgspec.structs.replace(first, disc_total=2)
    assert target_path(two_discs, "flac") == "A/A - Double/Disc 1/01 Song.flac"
    one_disc = msgspec.structs.replace(first, disc_total=1)
    assert target_path(one_disc, "flac") == "A/A - Double/01 Song.flac"


def test_templates_are_configurable_and_checked() -> None:
    layout = Layout(album_template="{albumartist}/{year} - {album}/{disc}-{track:02} {title}.{ext}")
    track = Track(
        title="Song", artists=("A",), album="Al", track_number=7, release_date="1999-01-01"
    )
    assert layout.path_for(track, "mp3") == "A/1999 - Al/1-07 Song.mp3"
    for bad in (
        "/abs/{title}.{ext}",
        "{artist}/../{title}.{ext}",
        "{artist}/{title}.mp3",
        "{artist}/{nope}.{ext}",
        "{artist}/{title.{ext}",
    ):
        with pytest.raises(TemplateError):
            Layout(album_template=bad)


def test_a_bad_template_setting_stops_the_service_naming_it() -> None:
    with pytest.raises(SettingsError, match="TUNEBRIDGE_DOWNLOADER"):
        load(
            DownloaderSettings,
            "downloader",
            {"TUNEBRIDGE_DOWNLOADER__ALBUM_TEMPLATE": "{artist}/{bogus}.{ext}"},
        )
