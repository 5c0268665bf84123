"""Remembered track mappings and review items, read and written in bulk.

A mapping says which track on one provider is the same recording on another; it is kept
in both directions, so either side of a job finds it. A person's "not on this service" is
kept one way only: it says nothing about the other direction.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.kernel.aio import gather_bounded
from services.kernel.records import (
    NOT_ON_SERVICE,
    MappingRecord,
    MappingSource,
    ReviewRecord,
    mapping_key,
    review_id_for,
    review_key,
)
from services.kernel.store import Store

#: Store reads in flight at once: enough to hide the round trip, few enough to be polite.
CONCURRENT_READS = 32


async def load_mappings(
    store: Store, user_id: str, from_provider: str, track_ids: Iterable[str], to_provider: str
) -> dict[str, MappingRecord]:
    """The remembered mapping of each of ``track_ids`` that has one."""
    ids = list(dict.fromkeys(track_ids))
    found = await gather_bounded(
        (
            store.get(
                "mappings", mapping_key(user_id, from_provider, i, to_provider), MappingRecord
            )
            for i in ids
        ),
        CONCURRENT_READS,
    )
    return {i: record for i, record in zip(ids, found, strict=True) if record is not None}


async def save_mapping(
    store: Store,
    user_id: str,
    from_provider: str,
    from_id: str,
    to_provider: str,
    to_id: str,
    source: MappingSource,
    confidence: float | None = None,
) -> None:
    """Remember that ``from_id`` is ``to_id`` (both ways), or is not there at all."""
    record = MappingRecord(target_id=to_id, source=source, confidence=confidence)
    await store.put("mappings", mapping_key(user_id, from_provider, from_id, to_provider), record)
    if to_id != NOT_ON_SERVICE:
        back = MappingRecord(target_id=from_id, source=source, confidence=confidence)
        await store.put("mappings", mapping_key(user_id, to_provider, to_id, from_provider), back)


async def load_reviews(
    store: Store, user_id: str, from_provider: str, track_ids: Iterable[str], to_provider: str
) -> dict[str, ReviewRecord]:
    """The open or skipped review item of each of ``track_ids`` that has one."""
    ids = list(dict.fromkeys(track_ids))
    found = await gather_bounded(
        (
            store.get(
                "reviews",
                review_key(user_id, review_id_for(from_provider, i, to_provider)),
                ReviewRecord,
            )
            for i in ids
        ),
        CONCURRENT_READS,
    )
    return {
        i: record
        for i, record in zip(ids, found, strict=True)
        if record is not None and record.status != "decided"
    }
