"""A sync job's and a run pair's sides are a mapping (``sides["a"]``), and records stored
before, with ``a_…``/``b_…`` fields, still read as the same job and the same run."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import SnapshotRef
from services.kernel.records import (
    JobSide,
    PairRun,
    PairSide,
    SyncJobRecord,
    SyncRunRecord,
)

SNAPSHOT = {"snapshot_id": "u.s1", "track_count": 3, "checksum": "c"}

#: A job as the gateway stored it before sides were a mapping (the fields it wrote then).
OLD_JOB = {
    "job_id": "j1",
    "user_id": "u",
    "name": "Road trip",
    "a_connection_id": "k1",
    "a_provider": "spotify",
    "b_connection_id": "k2",
    "b_provider": "subsonic",
    "owner": "ann",
    "a_provider_name": "Spotify",
    "b_provider_name": "Subsonic",
    "a_library": False,
    "b_library": True,
    "direction": "a_to_b",
    "all_playlists": False,
    "playlists": [{"a_playlist_id": "p1", "b_playlist_id": None, "new_copy": False}],
    "liked": False,
    "recently_played": False,
}

#: A run as the scheduler stored it before, mid-way through reading.
OLD_RUN = {
    "run_id": "r1",
    "user_id": "u",
    "job_id": "j1",
    "status": "running",
    "phase": "reading",
    "pairs": [
        {
            "pair_key": "a-p1",
            "name": "Road trip",
            "kind": "playlist",
            "history_side": None,
            "a_playlist_id": "p1",
            "b_playlist_id": None,
            "a_snapshot": SNAPSHOT,
            "b_snapshot": None,
            "skipped": None,
            "remade": None,
        }
    ],
    "waiting": ["sync.r1.read.0.b"],
}


def test_a_job_stored_with_a_and_b_fields_reads_as_the_same_job_and_is_written_anew() -> None:
    job = msgspec.msgpack.decode(msgspec.msgpack.encode(OLD_JOB), type=SyncJobRecord)
    assert job.sides == {
        "a": JobSide(connection_id="k1", provider="spotify", name="Spotify"),
        "b": JobSide(connection_id="k2", provider="subsonic", name="Subsonic", library=True),
    }
    assert job.provider_name("b") == "Subsonic"
    written = msgspec.msgpack.decode(msgspec.msgpack.encode(job))
    assert "sides" in written
    assert not {k for k in written if k.startswith(("a_", "b_"))}
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(job), type=SyncJobRecord) == job


def test_a_run_stored_with_a_and_b_fields_reads_on_where_it_was() -> None:
    run = msgspec.msgpack.decode(msgspec.msgpack.encode(OLD_RUN), type=SyncRunRecord)
    pair = run.pairs[0]
    assert pair.sides == {
        "a": PairSide(playlist_id="p1", snapshot=msgspec.convert(SNAPSHOT, SnapshotRef)),
        "b": PairSide(),
    }
    assert pair.read_sides() == ["a"]
    read = pair.with_side("b", snapshot=msgspec.convert(SNAPSHOT, SnapshotRef))
    assert read.sides["b"].snapshot is not None and pair.sides["b"].snapshot is None
    written = msgspec.msgpack.decode(msgspec.msgpack.encode(run))["pairs"][0]
    assert not {k for k in written if k.startswith(("a_", "b_"))}
    assert written["sides"]["a"]["playlist_id"] == "p1"


def test_a_job_has_two_sides() -> None:
    only_a = {**OLD_JOB, "b_connection_id": None}
    try:
        msgspec.msgpack.decode(msgspec.msgpack.encode(only_a), type=SyncJobRecord)
    except msgspec.ValidationError as error:
        assert "two sides" in str(error)
    else:
        raise AssertionError("a job of one side was read")
    assert PairRun(pair_key="k", name="n").sides == {"a": PairSide(), "b": PairSide()}
