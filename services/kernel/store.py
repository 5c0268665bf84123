"""State in JetStream: key-value buckets for records, object stores for large documents.

Values are msgspec JSON. ``update`` is a compare-and-set loop, for records that two
writers can meet on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec
from nats.js.client import JetStreamContext
from nats.js.errors import InvalidKeyError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from services.kernel.aio import cancelled
from services.kernel.contracts import Collection, SnapshotRef
from services.kernel.subjects import KV_BUCKETS, OBJECT_STORES, Topology

T = TypeVar("T", bound=msgspec.Struct)


#: Seconds without a chunk after which an object read is given up on (and retried).
OBJECT_STALL_S = 15.0


class _Received(io.BufferedIOBase):
    """Where nats-py writes a document's chunks (from its executor's threads), noting
    when the last one came."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []
        self.last = time.monotonic()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.chunks.append(bytes(chunk))
        self.last = time.monotonic()
        return len(self.chunks[-1])


class Conflict(Exception):
    """A compare-and-set kept losing to other writers."""


class Store:
    """Typed access to the installation's buckets and object stores."""

    def __init__(self, js: JetStreamContext, topology: Topology, replicas: int = 1) -> None:
        self._js = js
        self._topology = topology
        self._replicas = replicas  # copies of each bucket: 3 on a three-node cluster
        self._kv: dict[str, KeyValue] = {}
        self._objects: dict[str, ObjectStore] = {}

    async def open(self, names: Iterable[str] | None = None) -> None:
        """Create (or bind to) the named buckets and object stores (all when None); safe
        to run from every service at start. A service opens only those it may touch."""
        wanted = set(KV_BUCKETS) | set(OBJECT_STORES) if names is None else set(names)
        for name, ttl in KV_BUCKETS.items():
            if name in wanted:
                self._kv[name] = await self._js.create_key_value(
                    bucket=self._topology.bucket(name),
                    ttl=float(ttl) or None,
                    history=1,
                    replicas=self._replicas,
                )
        for name, ttl in OBJECT_STORES.items():
            if name in wanted:
                self._objects[name] = await self._js.create_object_store(
                    bucket=self._topology.bucket(name),
                    ttl=float(ttl) or None,
                    replicas=self._replicas,
                )

    async def get(self, bucket: str, key: str, type_: type[T]) -> T | None:
        """The record at ``key``, or None."""
        found = await self.get_with_revision(bucket, key, type_)
        return found[0] if found else None

    async def get_with_revision(
        self, bucket: str, key: str, type_: type[T]
    ) -> tuple[T, int] | None:
        """The record at ``key`` and its revision, or None."""
        try:
            entry = await self._kv[bucket].get(key)
        except (NotFoundError, InvalidKeyError):  # never written, deleted, purged, or a key
            return None  # that cannot exist (characters no key of ours has)
        if entry.value is None or entry.revision is None:
            return None
        return msgspec.json.decode(entry.value, type=type_), entry.revision

    async def put(self, bucket: str, key: str, value: msgspec.Struct) -> int:
        """Store ``value`` at ``key`` unconditionally; returns the new revision."""
        return await self._kv[bucket].put(key, msgspec.json.encode(value))

    async def create(self, bucket: str, key: str, value: msgspec.Struct) -> bool:
        """Store ``value`` only if ``key`` is new; False if it already existed."""
        try:
            await self._kv[bucket].create(key, msgspec.json.encode(value))
        except KeyWrongLastSequenceError:
            return False
        return True

    async def update(
        self,
        bucket: str,
        key: str,
        type_: type[T],
        change: Callable[[T], T | None],
        attempts: int = 50,
    ) -> T | None:
        """Apply ``change`` with compare-and-set, retrying when another writer got there first.

        ``change`` returns the new record, or None to leave it as it is. Returns the record
        as stored afterwards, or None if ``key`` does not exist.
        """
        for _ in range(attempts):
            found = await self.get_with_revision(bucket, key, type_)
            if found is None:
                return None
            current, revision = found
            changed = change(current)
            if changed is None:
                return current
            try:
                await self._kv[bucket].update(key, msgspec.json.encode(changed), last=revision)
            except KeyWrongLastSequenceError:
                continue
            return changed
        raise Conflict(f"{bucket}/{key}: too many concurrent writers")

    async def change(
        self, bucket: str, key: str, type_: type[T], change: Callable[[T], T | None]
    ) -> tuple[T | None, bool]:
        """``update``, also saying whether this call changed the record (False: ``change``
        left it as it was, e.g. made already by an earlier delivery)."""
        applied = False

        def tracked(current: T) -> T | None:
            nonlocal applied
            changed = change(current)
            applied = changed is not None
            return changed

        record = await self.update(bucket, key, type_, tracked)
        return record, applied and record is not None

    async def take(self, bucket: str, key: str, type_: type[T]) -> T | None:
        """Read and delete ``key`` atomically: of several takers, only one gets the value."""
        found = await self.get_with_revision(bucket, key, type_)
        if found is None:
            return None
        value, revision = found
        try:
            await self._kv[bucket].delete(key, last=revision)
        except KeyWrongLastSequenceError:
            return None
        return value

    async def delete(self, bucket: str, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        await self._kv[bucket].delete(key)

    async def _subjects(self, bucket: str, pattern: str) -> list[str]:
        # Neither nats-py listing is safe here: keys(filters=...) matches substrings, and a
        # watcher can signal "no more" before in-flight entries arrive. The stream itself
        # knows which subjects (keys) it holds; deleted keys are weeded out by reading them.
        name = self._topology.bucket(bucket)
        prefix = f"$KV.{name}."
        info = await self._js.stream_info(f"KV_{name}", subjects_filter=prefix + pattern)
        return sorted(subject[len(prefix) :] for subject in (info.state.subjects or {}))

    async def keys(self, bucket: str, pattern: str = ">") -> list[str]:
        """Live keys matching a NATS wildcard pattern (``*`` one token, ``>`` the rest)."""
        live = []
        for key in await self._subjects(bucket, pattern):
            try:
                entry = await self._kv[bucket].get(key)
            except NotFoundError:  # deleted or purged
                continue
            if entry.value is not None:
                live.append(key)
        return live

    async def values(self, bucket: str, pattern: str, type_: type[T]) -> list[T]:
        """Every live record whose key matches ``pattern``, in key order."""
        found = []
        for key in await self._subjects(bucket, pattern):
            value = await self.get(bucket, key, type_)
            if value is not None:
                found.append(value)
        return found

    async def put_object(self, store: str, name: str, data: bytes) -> None:
        """Store a document of any size (chunked by JetStream)."""
        await self._objects[store].put(name, data)

    async def get_object(self, store: str, name: str) -> bytes | None:
        """A stored document, or None if it is gone (expired or never stored).

        Raises ``TimeoutError`` when no chunk has come for ``OBJECT_STALL_S``: nats-py reads
        the chunks through an ordered consumer with no timeout, and one lost with a NATS
        node (a cluster's failover) would leave the read, and the message its handler
        keeps marking in progress, waiting for ever. Failing lets the message be retried.
        """
        received = _Received()
        reading = asyncio.ensure_future(self._objects[store].get(name, writeinto=received))
        try:
            while not (await asyncio.wait({reading}, timeout=1.0))[0]:
                if time.monotonic() - received.last > OBJECT_STALL_S:
                    raise TimeoutError(f"reading a document of {store} stalled")
            reading.result()
        except NotFoundError:
            return None
        finally:
            if not reading.done():
                with contextlib.suppress(Exception):  # whatever it ended with, it has ended
                    await cancelled(reading)
        return b"".join(received.chunks)


def encode_collection(collection: Collection) -> tuple[bytes, str]:
    """A collection as stored in the snapshot store, and its SHA-256 checksum."""
    data = msgspec.msgpack.encode(collection)
    return data, hashlib.sha256(data).hexdigest()


async def save_collection(store: Store, user_id: str, collection: Collection) -> SnapshotRef:
    """Store a collection snapshot under a name derived from its content (so saving the
    same content twice, e.g. on redelivery, stores it once)."""
    data, checksum = encode_collection(collection)
    snapshot_id = f"{user_id}.{checksum[:32]}"
    await store.put_object("snapshots", snapshot_id, data)
    return SnapshotRef(
        snapshot_id=snapshot_id, track_count=len(collection.tracks), checksum=checksum
    )


def combined(user_id: str, parts: Sequence[SnapshotRef]) -> SnapshotRef:
    """One library made of ``parts`` (a folder and media servers), stored as nothing more:
    its name and checksum are derived from theirs, so the same parts make the same whole."""
    checksum = hashlib.sha256("".join(p.checksum for p in parts).encode()).hexdigest()
    return SnapshotRef(
        snapshot_id=f"{user_id}.parts.{checksum[:32]}",
        track_count=sum(p.track_count for p in parts),
        checksum=checksum,
        parts=tuple(parts),
    )


async def load_collection(store: Store, ref: SnapshotRef) -> Collection | None:
    """A stored collection snapshot (its parts' tracks one after the other, for a library
    of parts), or None if it, or any of its parts, has expired."""
    if ref.parts is not None:
        loaded = [await load_collection(store, part) for part in ref.parts]
        if any(part is None for part in loaded):
            return None
        tracks = tuple(t for part in loaded if part is not None for t in part.tracks)
        user_id = ref.snapshot_id.split(".", 1)[0]
        return Collection(user_id=user_id, kind="library", tracks=tracks)
    data = await store.get_object("snapshots", ref.snapshot_id)
    return None if data is None else msgspec.msgpack.decode(data, type=Collection)
