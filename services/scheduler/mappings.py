"""Remembered track mappings and review items, read and written in bulk.

A mapping says which track on one provider is the same recording on another; it is kept
in both directions, so either side of a job finds it. A person's "not on this service" is
kept one way only: it says nothing about the other direction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import msgspec

from services.kernel.aio import gather_bounded
from services.kernel.records import NOT_ON_SERVICE, ReviewRecord, review_id_for, review_key
from services.kernel.store import Store
from services.scheduler.records import MappingRecord, MappingSource, mapping_key

R = TypeVar("R", bound=msgspec.Struct)

#: Store calls in flight at once: enough to hide the round trip, few enough to be polite.
CONCURRENT_READS = 32


async def _each(store: Store, bucket: str, keys: list[str], type_: type[R]) -> list[R | None]:
    return await gather_bounded((store.get(bucket, key, type_) for key in keys), CONCURRENT_READS)


async def load_mappings(
    store: Store, user_id: str, from_provider: str, track_ids: Iterable[str], to_provider: str
) -> dict[str, MappingRecord]:
    """The remembered mapping of each of ``track_ids`` that has one."""
    ids = list(dict.fromkeys(track_ids))
    keys = [mapping_key(user_id, from_provider, i, to_provider) for i in ids]
    found = await _each(store, "mappings", keys, MappingRecord)
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
    to_path: str | None = None,
) -> None:
    """Remember that ``from_id`` is ``to_id`` (both ways), or is not there at all; with
    ``to_path``, the file ``to_id`` is in its media server's library."""
    record = MappingRecord(
        target_id=to_id, source=source, confidence=confidence, target_path=to_path
    )
    await store.put("mappings", mapping_key(user_id, from_provider, from_id, to_provider), record)
    if to_id != NOT_ON_SERVICE:
        back = MappingRecord(target_id=from_id, source=source, confidence=confidence)
        await store.put("mappings", mapping_key(user_id, to_provider, to_id, from_provider), back)


async def save_matches(
    store: Store,
    user_id: str,
    from_provider: str,
    to_provider: str,
    matches: Iterable[tuple[str, str, float, str | None]],
) -> None:
    """Remember a batch of the matcher's confident matches, ``(from id, to id,
    confidence, to path)``, several writes in flight at once."""
    await gather_bounded(
        (
            save_mapping(
                store, user_id, from_provider, a, to_provider, b, "matcher", confidence, path
            )
            for a, b, confidence, path in matches
        ),
        CONCURRENT_READS,
    )


async def load_reviews(
    store: Store, user_id: str, from_provider: str, track_ids: Iterable[str], to_provider: str
) -> dict[str, ReviewRecord]:
    """The open or skipped review item of each of ``track_ids`` that has one."""
    ids = list(dict.fromkeys(track_ids))
    keys = [review_key(user_id, review_id_for(from_provider, i, to_provider)) for i in ids]
    found = await _each(store, "reviews", keys, ReviewRecord)
    return {
        i: record
        for i, record in zip(ids, found, strict=True)
        if record is not None and record.status != "decided"
    }
