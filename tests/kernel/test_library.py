"""Library roots: folders resolve with symlinks followed, a user gets the shared roots and
their own, and a bad setting stops the service naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kernel.library import (
    LibrarySettings,
    OutsideLibrary,
    allowed_folder,
    within,
)
from services.kernel.settings import SettingsError, load


def test_a_user_gets_the_shared_roots_and_only_their_own(tmp_path: Path) -> None:
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    (tmp_path / "homes" / "mallory").symlink_to("/etc")  # a user folder that leads elsewhere
    settings = LibrarySettings(
        roots=(str(tmp_path / "shared"),), user_roots=(str(tmp_path / "homes" / "{user}"),)
    )
    assert settings.roots_of("alice") == [str(tmp_path / "shared"), str(tmp_path / "homes/alice")]
    for name in ("..", ".", "", "mallory"):
        assert settings.roots_of(name) == [str(tmp_path / "shared")]
    assert settings.every_root() == [str(tmp_path / "shared"), str(tmp_path / "homes")]


def test_folders_resolve_with_symlinks_followed(tmp_path: Path) -> None:
    root = tmp_path / "music"
    (root / "Jazz").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    assert allowed_folder(str(root / "Jazz"), [str(root)]) == (str(root / "Jazz"), str(root))
    for folder in (str(root / "out"), str(root / ".." / "music2"), "/", "relative", "/a\x00b"):
        with pytest.raises(OutsideLibrary):
            allowed_folder(folder, [str(root)])
    assert within(root, "Jazz/a.opus") == root / "Jazz/a.opus"
    for relative in ("../a.opus", "out/a.opus", "/etc/passwd"):
        with pytest.raises(OutsideLibrary):
            within(root, relative)


@pytest.mark.parametrize(
    "environ",
    [
        {"TUNEBRIDGE_LIBRARY__ROOTS": "music"},
        {"TUNEBRIDGE_LIBRARY__USER_ROOTS": "/srv/{user}/music"},
        {"TUNEBRIDGE_LIBRARY__USER_ROOTS": "/srv/music"},
    ],
)
def test_a_bad_root_is_refused_naming_the_section(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="TUNEBRIDGE_LIBRARY__"):
        load(LibrarySettings, "library", environ)
