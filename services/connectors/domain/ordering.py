"""Reordering a playlist by moves, for providers that move one range at a time."""

from __future__ import annotations

from collections.abc import Sequence


def moves(current: Sequence[str], desired: Sequence[str]) -> list[tuple[int, int]]:
    """Moves ``(range_start, insert_before)`` (Spotify's semantics) that turn ``current``
    into ``desired``; both must hold the same ids. Tracks already in place are not moved."""
    if sorted(current) != sorted(desired):
        raise ValueError("a reorder cannot add or remove tracks")
    working = list(current)
    steps = []
    for index, wanted in enumerate(desired):
        if working[index] == wanted:
            continue
        start = working.index(wanted, index)
        steps.append((start, index))
        working.insert(index, working.pop(start))
    return steps


def apply_moves(items: Sequence[str], steps: Sequence[tuple[int, int]]) -> list[str]:
    """What ``moves`` does, as a provider would (for checking and for emulators)."""
    working = list(items)
    for start, before in steps:
        item = working.pop(start)
        working.insert(before if before < start else before - 1, item)
    return working
