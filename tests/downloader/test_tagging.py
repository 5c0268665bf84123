"""Files are tagged the way Picard tags them, in every format, from real audio files."""

from __future__ import annotations

from pathlib import Path

import mutagen
import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from services.downloader.adapters.filing import write_cover_file
from services.downloader.adapters.tagger import UntaggableFile, write_tags
from services.downloader.domain.tagging import clean, tags_for
from services.kernel.contracts import Track
from tests.support.audio import make_audio

# The smallest valid JPEG header and data are not needed: players only read the bytes back.
COVER = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"

GET_LUCKY = Track(
    title="Get Lucky",
    artists=("Daft Punk", "Pharrell Williams", "Nile Rodgers"),
    album="Random Access Memories",
    album_artists=("Daft Punk",),
    track_number=8,
    disc_number=1,
    track_total=13,
    disc_total=1,
    label="Columbia",
    release_date="2013-05-17",
    isrc="USQX91300108",
    explicit=False,
    genres=("disco", "funk"),
)


def tagged(tmp_path: Path, suffix: str) -> Path:
    path = make_audio(tmp_path / f"track{suffix}", seconds=1)
    tags = tags_for(GET_LUCKY, source_url="https://music.youtube.com/watch?v=x")
    write_tags(path, tags, COVER)
    return path


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".opus"])
def test_vorbis_comments_carry_every_field_multi_valued(tmp_path: Path, suffix: str) -> None:
    path = tagged(tmp_path, suffix)
    audio = mutagen.File(path)
    assert audio is not None and audio.tags is not None
    assert audio["ARTIST"] == ["Daft Punk", "Pharrell Williams", "Nile Rodgers"]
    assert audio["ARTISTS"] == audio["ARTIST"]
    assert audio["ALBUMARTIST"] == ["Daft Punk"] and audio["ALBUM"] == ["Random Access Memories"]
    assert (audio["TRACKNUMBER"], audio["TRACKTOTAL"], audio["DISCNUMBER"]) == (
        ["8"],
        ["13"],
        ["1"],
    )
    assert audio["DATE"] == ["2013-05-17"] and audio["GENRE"] == ["disco", "funk"]
    assert (audio["ISRC"], audio["LABEL"], audio["ITUNESADVISORY"]) == (
        ["USQX91300108"],
        ["Columbia"],
        ["2"],
    )
    assert audio["DISCTOTAL"] == ["1"]
    if suffix == ".flac":
        assert FLAC(path).pictures[0].data == COVER
    else:
        assert "METADATA_BLOCK_PICTURE" in audio
    if suffix == ".opus":
        assert isinstance(audio, OggOpus)


def test_mp3_gets_id3v24_frames(tmp_path: Path) -> None:
    id3 = ID3(tagged(tmp_path, ".mp3"))
    assert id3.version[:2] == (2, 4)
    assert list(id3["TPE1"].text) == ["Daft Punk", "Pharrell Williams", "Nile Rodgers"]
    assert list(id3["TPE2"].text) == ["Daft Punk"]
    assert id3["TRCK"].text == ["8/13"] and id3["TPOS"].text == ["1/1"]
    assert id3["TSRC"].text == ["USQX91300108"] and id3["TPUB"].text == ["Columbia"]
    assert list(id3["TXXX:ARTISTS"].text) == ["Daft Punk", "Pharrell Williams", "Nile Rodgers"]
    assert id3.getall("APIC")[0].data == COVER and id3.getall("APIC")[0].type == 3
    assert id3["WOAS"].url == "https://music.youtube.com/watch?v=x"


def test_m4a_gets_itunes_atoms(tmp_path: Path) -> None:
    mp4 = MP4(tagged(tmp_path, ".m4a"))
    assert mp4["\xa9nam"] == ["Get Lucky"]
    assert mp4["\xa9ART"] == ["Daft Punk, Pharrell Williams & Nile Rodgers"]
    assert mp4["aART"] == ["Daft Punk"] and mp4["trkn"] == [(8, 13)] and mp4["disk"] == [(1, 1)]
    assert bytes(mp4["----:com.apple.iTunes:ISRC"][0]) == b"USQX91300108"
    assert mp4["rtng"] == [2] and bytes(mp4["covr"][0]) == COVER


def test_retagging_replaces_rather_than_adds(tmp_path: Path) -> None:
    path = tagged(tmp_path, ".flac")
    write_tags(path, tags_for(Track(title="Other", artists=("Someone",))))
    audio = FLAC(path)
    assert audio["TITLE"] == ["Other"] and "ISRC" not in audio and not audio.pictures


def test_a_remixer_is_the_track_artist_and_the_original_a_contributor() -> None:
    tags = tags_for(Track(title="Titanium (Alesso Remix)", artists=("David Guetta", "Sia")))
    assert tags.artists == ("Alesso", "David Guetta", "Sia")
    assert tags.album_artists == ("David Guetta",)
    assert tags_for(Track(title="Song (Original Mix)", artists=("A",))).artists == ("A",)


def test_hostile_metadata_is_cleaned_not_written_raw() -> None:
    tags = tags_for(Track(title="x" * 5000 + "\x00\x1b[31m", artists=("Evil\x07Artist", "\t")))
    assert len(tags.title) == 1000 and "\x00" not in tags.title and "\x1b" not in tags.title
    assert tags.artists == ("EvilArtist",)
    assert clean("line one\nline two") == "line oneline two"
    label = tags_for(Track(title="t", label="\x1b[2JLabel", track_total=0, disc_total=-1))
    assert (label.label, label.track_total, label.disc_total) == ("[2JLabel", None, None)


def test_cover_file_sits_beside_the_album_once(tmp_path: Path) -> None:
    first = write_cover_file(tmp_path, COVER)
    write_cover_file(tmp_path, b"\xff\xd8other")
    assert first.name == "cover.jpg" and first.read_bytes() == COVER


def test_formats_we_cannot_tag_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(UntaggableFile):
        write_tags(path, tags_for(GET_LUCKY))
