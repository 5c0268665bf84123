"""What the plan view shows of a pair's changes: the first tracks each list adds or
removes, by title, artists and cover, read from the tracks the run read (an added track
is the other side's, whose id it is mapped from; a removed one is the side's own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.kernel.contracts import Track
from services.kernel.records import PairPlan, ShownTrack

#: How many tracks of each list a plan keeps for the view (the rest are counted only).
SHOWN_PER_LIST = 25


def shown_tracks(
    plan: PairPlan,
    a_tracks: Sequence[Track],
    b_tracks: Sequence[Track],
    a_to_b: Mapping[str, str],
    limit: int = SHOWN_PER_LIST,
) -> list[ShownTrack]:
    """The first ``limit`` tracks of each of ``plan``'s lists, where the run read them."""
    on_a = {t.provider_id: t for t in a_tracks if t.provider_id}
    on_b = {t.provider_id: t for t in b_tracks if t.provider_id}
    b_to_a: dict[str, str] = {}
    for a_id, b_id in a_to_b.items():
        b_to_a.setdefault(b_id, a_id)
    lists = (
        ("add_to_a", plan.add_to_a, lambda i: on_b.get(a_to_b.get(i, "")) or on_a.get(i)),
        ("remove_from_a", plan.remove_from_a, on_a.get),
        ("add_to_b", plan.add_to_b, lambda i: on_a.get(b_to_a.get(i, "")) or on_b.get(i)),
        ("remove_from_b", plan.remove_from_b, on_b.get),
    )
    shown = []
    for change, ids, read in lists:
        for track_id in ids[:limit]:
            track = read(track_id)
            if track is not None:
                shown.append(
                    ShownTrack(
                        change=change,
                        track_id=track_id,
                        title=track.title,
                        artists=track.artists,
                        artwork_url=track.artwork_urls[-1] if track.artwork_urls else None,
                    )
                )
    return shown
