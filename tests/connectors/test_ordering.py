"""Reorders by moves reach exactly the wanted order, moving only what must move."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.connectors.domain.ordering import apply_moves, moves


def test_tracks_in_place_are_not_moved() -> None:
    assert moves(["a", "b", "c"], ["a", "b", "c"]) == []
    assert moves(["a", "b", "c"], ["c", "a", "b"]) == [(2, 0)]


def test_a_reorder_cannot_change_membership() -> None:
    with pytest.raises(ValueError):
        moves(["a", "b"], ["a", "c"])


@given(st.permutations(list("abcdefghij")), st.randoms())
def test_moves_reach_any_order(desired: list[str], rng: object) -> None:
    current = sorted(desired)
    assert apply_moves(current, moves(current, desired)) == desired
