"""The store against a real JetStream: typed records, compare-and-set, listings."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from services.kernel.contracts import Collection, SnapshotRef, Track
from services.kernel.records import RunRecord
from services.kernel.store import Store, combined, load_collection, save_collection

pytestmark = pytest.mark.timeout(60)


async def test_opening_a_store_twice_keeps_what_it_holds(store: Store) -> None:
    await store.put("runs", "u.r", RunRecord(run_id="r", user_id="u", folder="/m"))
    await store.open()  # declaring the buckets again is harmless
    assert await store.get("runs", "u.r", RunRecord) is not None


async def test_concurrent_updates_all_land(store: Store) -> None:
    await store.put("runs", "u.r", RunRecord(run_id="r", user_id="u"))

    async def add(batch: int) -> None:
        await store.update(
            "runs",
            "u.r",
            RunRecord,
            lambda run: msgspec.structs.replace(run, matched_batches=[*run.matched_batches, batch]),
        )

    await asyncio.gather(*(add(n) for n in range(20)))
    run = await store.get("runs", "u.r", RunRecord)
    assert run is not None and sorted(run.matched_batches) == list(range(20))


async def test_create_only_once_and_listing_by_pattern_skips_deleted_keys(store: Store) -> None:
    assert await store.create("runs", "u1.a", RunRecord(run_id="a", user_id="u1"))
    assert not await store.create("runs", "u1.a", RunRecord(run_id="changed", user_id="u1"))
    await store.put("runs", "u1.b", RunRecord(run_id="b", user_id="u1"))
    await store.put("runs", "u2.c", RunRecord(run_id="c", user_id="u2"))
    await store.delete("runs", "u1.b")
    assert await store.keys("runs", "u1.*") == ["u1.a"]
    assert [r.run_id for r in await store.values("runs", ">", RunRecord)] == ["a", "c"]
    assert await store.get("runs", "u1.b", RunRecord) is None
    assert await store.update("runs", "nobody.x", RunRecord, lambda r: r) is None


async def test_collections_are_stored_by_content(store: Store) -> None:
    collection = Collection(
        user_id="u1", kind="library", tracks=tuple(Track(title="t" * 5000) for _ in range(300))
    )
    first = await save_collection(store, "u1", collection)
    second = await save_collection(store, "u1", collection)
    assert first == second and first.track_count == 300
    assert await load_collection(store, first) == collection


async def test_a_library_of_parts_reads_as_one_and_is_gone_when_a_part_is(store: Store) -> None:
    folder = Collection(user_id="u1", kind="library", tracks=(Track(title="Teardrop"),))
    server = Collection(user_id="u1", kind="library", tracks=(Track(title="Angel"),))
    parts = [await save_collection(store, "u1", c) for c in (folder, server)]
    whole = combined("u1", parts)
    assert whole == combined("u1", parts) and whole.track_count == 2
    read = await load_collection(store, whole)
    assert read is not None and [t.title for t in read.tracks] == ["Teardrop", "Angel"]
    empty = await load_collection(store, combined("u1", []))
    assert empty is not None and empty.tracks == ()
    gone = SnapshotRef(snapshot_id="u1.expired", track_count=1, checksum="0" * 64)
    assert await load_collection(store, combined("u1", [parts[0], gone])) is None
