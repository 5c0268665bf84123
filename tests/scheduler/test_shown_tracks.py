"""What the plan view shows of a pair's changes: each added track by the other side's
title and cover (the track it is mapped from), each removed one by its own; the first
few of each list only; and the gateway passes on only https covers."""

from __future__ import annotations

from services.gateway.api.sync import shown_safely
from services.kernel.contracts import Track
from services.kernel.records import PairPlan, ShownTrack
from services.scheduler.domain.shown import shown_tracks


def track(provider_id: str, title: str, *covers: str) -> Track:
    return Track(title=title, artists=("Air",), provider_id=provider_id, artwork_urls=covers)


def test_added_tracks_read_as_their_source_and_removed_ones_as_themselves() -> None:
    a = [track("a1", "La femme d'argent", "https://i.scdn.co/big", "https://i.scdn.co/small")]
    b = [track("b9", "Kelly Watch the Stars")]
    plan = PairPlan(pair_key="p", name="Moon Safari", add_to_b=["b1"], remove_from_b=["b9"])

    shown = shown_tracks(plan, a, b, {"a1": "b1"})

    assert shown == [
        ShownTrack(
            change="add_to_b",
            track_id="b1",
            title="La femme d'argent",
            artists=("Air",),
            artwork_url="https://i.scdn.co/small",  # the smallest: a thumbnail
        ),
        ShownTrack(
            change="remove_from_b", track_id="b9", title="Kelly Watch the Stars", artists=("Air",)
        ),
    ]


def test_only_the_first_of_a_long_list_are_kept() -> None:
    a = [track(f"a{i}", f"Song {i}") for i in range(40)]
    plan = PairPlan(pair_key="p", name="Long", add_to_b=[f"b{i}" for i in range(40)])

    shown = shown_tracks(plan, a, [], {f"a{i}": f"b{i}" for i in range(40)}, limit=5)

    assert [s.title for s in shown] == [f"Song {i}" for i in range(5)]


def test_a_cover_is_passed_on_only_over_https() -> None:
    def cover(url: str) -> str | None:
        return shown_safely(
            ShownTrack(change="add_to_a", track_id="x", title="x", artwork_url=url)
        ).artwork_url

    assert cover("https://e-cdns-images.dzcdn.net/images/cover/1/56x56.jpg") is not None
    assert cover("http://i.scdn.co/image/1") is None
    assert cover("javascript:alert(1)") is None
    assert cover("data:image/png;base64,AAAA") is None
    assert cover("https://[broken") is None
