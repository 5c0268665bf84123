"""A move's report: every item once, the action each one not moved leaves, counts per
kind, and a CSV a spreadsheet opens without running anything in it."""

from __future__ import annotations

import csv
import io

from services.gateway.domain.moves import as_csv, counts_per_kind, report_lines
from services.kernel.records import NOT_IN_LIBRARY, MovedItem, NotSynced


def moved(title: str, kind: str = "playlist", status: str = "added") -> MovedItem:
    return MovedItem(
        pair="Road trip" if kind == "playlist" else "Saved albums",
        kind=kind,
        title=title,
        artists=("Aurora Lane",),
        source_id=f"s-{title}",
        target_id=f"t-{title}",
        status=status,  # type: ignore[arg-type]
    )


def left(title: str, reason: str, kind: str = "playlist", **more: object) -> NotSynced:
    return NotSynced(
        pair="Road trip" if kind == "playlist" else "Followed artists",
        side="a",
        title=title,
        reason=reason,
        kind=kind,
        provider_id=f"s-{title}",
        **more,  # type: ignore[arg-type]
    )


def test_every_item_once_with_the_action_left() -> None:
    not_synced = [
        left("Asked", "waiting for your review", review_id="r1"),
        left("Nowhere", "no match found on Deezer"),
        left("Said so", "you said it is not on Deezer"),
        left("Artist", NOT_IN_LIBRARY, kind="artists"),
        left("Track", NOT_IN_LIBRARY),
        NotSynced(
            pair="Road trip",
            side="b",
            title="Refused",
            reason="not added to Deezer: x",
            provider_id="t-Refused",
            kind="playlist",
        ),
        left("All of “Mix”", "Deezer already has a playlist called “Mix”: choose it"),
    ]
    lines = report_lines(
        [moved("Landed"), moved("Refused"), moved("Kept", "albums", "already_there")],
        not_synced,
        dry_run=False,
    )
    assert [(line.title, line.status, line.action) for line in lines] == [
        ("Landed", "moved", ""),
        ("Kept", "already there", ""),  # a refused write is not said to be moved
        ("Asked", "not moved", "review"),
        ("Nowhere", "not moved", "search"),
        ("Said so", "not moved", "not on this service"),
        ("Artist", "not moved", "download its albums"),
        ("Track", "not moved", "download it"),
        ("Refused", "not moved", "run the move again"),
        ("All of “Mix”", "not moved", "choose in the job"),
    ]
    assert lines[-2].target_id == "t-Refused" and lines[-2].source_id == ""
    counts = {
        c.kind: (c.items, c.moved, c.already_there, c.not_moved, c.collections)
        for c in counts_per_kind(lines, {"playlist": 2, "albums": 1})
    }
    assert counts == {
        "playlist": (7, 1, 0, 6, 2),
        "albums": (1, 0, 1, 0, 1),
        "artists": (1, 0, 0, 1, 0),
    }
    preview = report_lines([moved("Landed")], [], dry_run=True)
    assert preview[0].status == "to move"


def test_the_csv_has_a_header_and_runs_no_formula() -> None:
    lines = report_lines(
        [moved('=HYPERLINK("x")')], [left("+1", "no match found on Deezer")], dry_run=False
    )
    rows = list(csv.DictReader(io.StringIO(as_csv(lines))))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("x")', "'+1"]
    assert rows[1]["action"] == "search" and rows[0]["status"] == "moved"
