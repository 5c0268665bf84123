"""Library roots: the only folders a user's scans and downloads may reach.

An administrator names them (section ``LIBRARY``): ``ROOTS`` are shared by every user (the
household's library), ``USER_ROOTS`` are per user, templates with ``{user}`` standing for
the user's name (``/srv/music/{user}``). A folder is allowed when, with every symlink
followed, it lies inside one of the user's roots (``os.path.realpath`` then
``os.path.commonpath``): ``..``, a symlink out of the library or another user's folder
are all refused alike, and the refusal says nothing of whether the path exists.

The gateway checks with the user's name; the services behind it check again with what
they know (the shared roots and the fixed part of each per-user template), so a message
naming ``/root`` is refused wherever it arrives.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

USER = "{user}"
#: What a refused folder is told, whatever the reason (outside, missing, a symlink away).
REFUSED = (
    "this folder is not in a library you may use "
    "(an administrator sets them: TUNEBRIDGE_LIBRARY__ROOTS, TUNEBRIDGE_LIBRARY__USER_ROOTS)"
)


class OutsideLibrary(ValueError):
    """A path that resolves outside every allowed root."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


class LibrarySettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``LIBRARY``.

    Attributes:
        roots: Folders every user may scan (a shared library); comma-separated. The
            downloader files downloads only inside them (its library and, for plain
            downloads, its downloads folder: both defaults are in the default roots).
        user_roots: Folders per user: templates where ``{user}`` is the user's name
            (``/srv/music/{user}``); comma-separated.
    """

    roots: tuple[str, ...] = ("~/Music", "~/Downloads/Tunebridge")
    user_roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for root in (*self.roots, *self.user_roots):
            if not Path(root).expanduser().is_absolute():
                raise ValueError(f"library roots must be absolute paths: {root!r}")
        for template in self.user_roots:
            if template.count(USER) != 1 or not template.rstrip("/").endswith(USER):
                raise ValueError(f"a user root ends with one {USER}: {template!r}")

    def roots_of(self, user_name: str) -> list[str]:
        """The resolved roots ``user_name`` may use: the shared ones, and theirs."""
        found = [real(root) for root in self.roots]
        for template in self.user_roots:
            parent = real(template.rstrip("/").removesuffix(USER))
            # A name is one path component, never "." or ".." (names may hold dots).
            if user_name in ("", ".", "..") or "/" in user_name or "\x00" in user_name:
                continue
            own = real(os.path.join(parent, user_name))
            if os.path.dirname(own) == parent:  # not a symlink to elsewhere
                found.append(own)
        return found

    def every_root(self) -> list[str]:
        """Every folder some user may use, for a service that does not know the user's
        name: the shared roots and the parent of each per-user root."""
        parents = (template.rstrip("/").removesuffix(USER) for template in self.user_roots)
        return [real(root) for root in (*self.roots, *parents)]


def real(path: str | os.PathLike[str]) -> str:
    """``path`` absolute, ``~`` expanded, every symlink followed (it need not exist)."""
    return os.path.realpath(os.path.expanduser(os.fspath(path)))


def inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether ``path``, with symlinks followed, is ``root`` or lies under it."""
    resolved, base = real(path), real(root)
    try:
        return os.path.commonpath([resolved, base]) == base
    except ValueError:  # different drives, or relative against absolute
        return False


def allowed_folder(folder: str, roots: Iterable[str]) -> tuple[str, str]:
    """The resolved ``folder`` and the root it lies in; ``OutsideLibrary`` otherwise."""
    if "\x00" in folder or not os.path.isabs(folder):
        raise OutsideLibrary
    resolved = real(folder)
    for root in roots:
        if inside(resolved, root):
            return resolved, real(root)
    raise OutsideLibrary


def within(root: str | os.PathLike[str], relative: str | os.PathLike[str]) -> Path:
    """``root / relative``, checked to resolve inside ``root`` (symlinks followed) before
    anything is written there; ``OutsideLibrary`` otherwise."""
    target = Path(root) / relative
    if os.path.isabs(relative) or not inside(target, root):
        raise OutsideLibrary
    return target


def relative_to_root(path: str, roots: Sequence[str]) -> str:
    """``path`` as a person of that library sees it: relative to its root."""
    for root in roots:
        if inside(path, root):
            return os.path.relpath(real(path), real(root))
    return os.path.basename(path)
