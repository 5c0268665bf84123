"""A folder scan survives what Linux allows in a name: a file whose name is not UTF-8 is
named in the run's notes, readably, and the rest of the folder is scanned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.connectors.adapters.folder import FolderError, scan_folder
from services.kernel.library import REFUSED
from tests.support.audio import make_audio
from tests.support.installation import running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(120)
#: "Björk" in Latin-1: not UTF-8, as copied from an old disk or a Windows share.
LATIN1 = b"Bj\xf6rk - J\xf3ga.mp3"


def odd_file(folder: Path) -> Path:
    """A real audio file whose name on disk is the Latin-1 bytes above."""
    made = make_audio(folder / "joga.mp3", seconds=2, title="Jóga", artist="Björk")
    target = os.path.join(os.fsencode(folder), LATIN1)
    os.rename(os.fsencode(made), target)
    return Path(os.fsdecode(target))


def test_a_name_that_is_not_utf8_is_skipped_with_a_readable_reason(music_dir: Path) -> None:
    odd_file(music_dir)
    make_audio(music_dir / "Adele" / "Hello.opus", seconds=2, title="Hello", artist="Adele")
    tracks, index, stats = scan_folder(str(music_dir), roots=[str(music_dir.parent)])
    assert [t.title for t in tracks] == ["Hello"]
    assert (
        index.files["Bj\\xf6rk - J\\xf3ga.mp3"].skipped == "its name is not valid UTF-8: rename it"
    )
    assert stats.skipped == 1


def test_a_folder_or_a_link_outside_the_roots_is_not_read(music_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    make_audio(elsewhere / "private.opus", seconds=2, title="Private", artist="Someone")
    (music_dir / "private.opus").symlink_to(elsewhere / "private.opus")
    tracks, index, _ = scan_folder(str(music_dir), roots=[str(music_dir)])
    assert tracks == [] and index.files["private.opus"].skipped == "a link to outside the folder"
    for folder in (str(elsewhere), "/etc", str(music_dir / ".." / "elsewhere")):
        with pytest.raises(FolderError, match="not in a library") as refused:
            scan_folder(folder, roots=[str(music_dir)])
        assert str(refused.value) == REFUSED


async def test_the_run_names_the_odd_file_and_finds_the_rest(
    nats_url: str, namespace: str, music_dir: Path
) -> None:
    odd_file(music_dir)
    make_audio(music_dir / "Adele" / "Hello.opus", seconds=2, title="Hello", artist="Adele")
    async with (
        running_installation(nats_url, namespace) as installation,
        installation.client(timeout=20) as api,
    ):
        answer = await api.post(
            "/api/v1/runs/missing-tracks",
            json={
                "folder": str(music_dir),
                "tracks": [{"title": "Hello", "artists": ["Adele"]}, {"title": "Jóga"}],
            },
        )
        assert answer.status_code == 202, answer.text
        run = await wait_for_run(api, answer.json()["run_id"])
    assert run["status"] == "completed", run
    assert run["summary"] == {"total": 2, "present": 1, "missing": 1}
    assert run["notes"] == [
        "files skipped in the music folder: "
        "Bj\\xf6rk - J\\xf3ga.mp3 (its name is not valid UTF-8: rename it)"
    ]
