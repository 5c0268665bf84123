"""A whole-library move's report: every item moved, every item not moved with its reason
and the action left to a person, counted per kind, and written as CSV or JSON.

Pure: made from a run's plan (what it moved and what it did not) and its pairs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from services.kernel.records import NOT_IN_LIBRARY, MovedItem, NotSynced

#: The kinds a move carries, in the order a person reads them, with their names.
KINDS: dict[str, str] = {
    "playlist": "Playlists",
    "liked": "Liked songs",
    "albums": "Saved albums",
    "artists": "Followed artists",
    "recent": "Listening history",
}
#: Each kind's item, as one line of the report names it.
ITEM: dict[str, str] = {
    "playlist": "track",
    "liked": "liked song",
    "albums": "album",
    "artists": "artist",
    "recent": "track",
}

Status = Literal["moved", "already there", "to move", "not moved"]


class ReportLine(msgspec.Struct, kw_only=True):
    """One item of a move: what it is, where it was, and how it ended.

    Attributes:
        kind: ``playlist``, ``liked``, ``albums`` or ``artists``.
        item: What it is, in words ("track", "album", "artist").
        collection: The playlist it is in, or "Liked songs", "Saved albums"...
        status: ``moved`` (added by the run), ``already there``, ``to move`` (a preview's
            word for what the run would add) or ``not moved``.
        reason: Why it was not moved, in a person's words (empty when it was).
        action: What is left to do: ``review``, ``search``, ``download it`` (``download its
            albums`` for an artist a media server lacks), ``not on this service``, ``run
            the move again``, ``choose in the job`` (empty when moved).
        source_id: Its id on the service moved from.
        target_id: Its counterpart's id on the service moved to, when there is one.
    """

    kind: str
    item: str
    collection: str
    title: str
    artists: str
    status: Status
    reason: str = ""
    action: str = ""
    source_id: str = ""
    target_id: str = ""


class KindCounts(msgspec.Struct, kw_only=True):
    """One kind's items: how many the source has (of those read), moved (or, in a
    preview, to move), already on the target, and not moved; and for playlists, how
    many playlists."""

    kind: str
    name: str
    items: int = 0
    moved: int = 0
    already_there: int = 0
    not_moved: int = 0
    collections: int = 0


def action_for(line: NotSynced) -> str:
    """The action a not-moved item leaves, from its reason."""
    reason = line.reason
    if line.review_id or reason in ("waiting for your review", "skipped in review"):
        return "review"
    if reason.startswith("conflict"):
        return "review"
    if reason.startswith("you said it is not on"):
        return "not on this service"
    if reason == NOT_IN_LIBRARY:
        # A media server has an artist only with files of theirs: their albums, downloaded.
        return "download its albums" if line.kind == "artists" else "download it"
    if reason.startswith("no match found on"):
        return "search"
    if reason.startswith("not added to") or reason.startswith("not removed from"):
        return "run the move again"
    if reason.startswith("a local file"):
        return "not on this service"
    if line.title.startswith("All of “"):
        return "choose in the job"
    return "run the move again"


def report_lines(
    moved: Iterable[MovedItem], not_synced: Sequence[NotSynced], dry_run: bool
) -> list[ReportLine]:
    """Every item of the move: those on the target first (an item whose write was refused
    is not among them: its not-moved line says why), then those not moved."""
    refused = {
        (line.pair, line.provider_id)
        for line in not_synced
        if line.reason.startswith("not added to") and line.provider_id
    }
    lines: list[ReportLine] = []
    for item in moved:
        if (item.pair, item.target_id) in refused:
            continue
        status: Status = (
            "already there" if item.status == "already_there" else "to move" if dry_run else "moved"
        )
        lines.append(
            ReportLine(
                kind=item.kind,
                item=ITEM.get(item.kind, "item"),
                collection=item.pair,
                title=item.title,
                artists=", ".join(item.artists),
                status=status,
                source_id=item.source_id,
                target_id=item.target_id,
            )
        )
    for line in not_synced:
        kind = line.kind or "playlist"
        lines.append(
            ReportLine(
                kind=kind,
                item=ITEM.get(kind, "item"),
                collection=line.pair,
                title=line.title,
                artists=", ".join(line.artists),
                status="not moved",
                reason=line.reason,
                action=action_for(line),
                source_id=line.provider_id or "" if line.side == "a" else "",
                target_id=line.provider_id or "" if line.side == "b" else "",
            )
        )
    return lines


def counts_per_kind(lines: Sequence[ReportLine], collections: dict[str, int]) -> list[KindCounts]:
    """The report's lines counted per kind, in ``KINDS`` order (a kind with no line and
    no collection is left out); ``collections`` counts each kind's pairs."""
    found: dict[str, KindCounts] = {}
    for kind, name in KINDS.items():
        if collections.get(kind) or any(line.kind == kind for line in lines):
            found[kind] = KindCounts(kind=kind, name=name, collections=collections.get(kind, 0))
    for line in lines:
        counts = found.get(line.kind)
        if counts is None:
            continue
        if line.status == "not moved":
            counts.not_moved += 1
        elif line.status == "already there":
            counts.already_there += 1
        else:
            counts.moved += 1
        counts.items += 1
    return list(found.values())


CSV_COLUMNS = (
    "kind",
    "item",
    "collection",
    "title",
    "artists",
    "status",
    "reason",
    "action",
    "source_id",
    "target_id",
)


def as_csv(lines: Iterable[ReportLine]) -> str:
    """The report as CSV, one item a row, with a header; a cell that a spreadsheet would
    run as a formula (``=``, ``+``, ``-``, ``@`` first) is quoted with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([_cell(str(getattr(line, column))) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
