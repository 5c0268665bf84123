"""Bus contracts keep their promises: old messages decode, names follow the scheme."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from services.kernel.contracts import (
    EVENT_TYPES,
    CandidatesFound,
    CandidatesRequested,
    Correlation,
    Event,
    RunCompleted,
    correlation_of,
    reply_to,
)
from services.kernel.subjects import Topology, all_domains, tag_of

SAMPLES = Path(__file__).parent.parent / "data" / "contracts"


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=tag_of)
def test_frozen_v1_sample_still_decodes(event_type: type[Event]) -> None:
    sample = SAMPLES / f"{tag_of(event_type)}.json"
    assert sample.exists(), f"add a frozen sample for {event_type.__name__}"
    event = msgspec.json.decode(sample.read_bytes(), type=event_type)
    assert event.user_id == "u1"
    assert event.event_id == "e1"


def test_every_message_type_has_a_sample_and_no_sample_is_orphaned() -> None:
    assert {p.stem for p in SAMPLES.glob("*.json")} == {tag_of(t) for t in EVENT_TYPES}


def test_newer_producers_extra_fields_are_ignored() -> None:
    payload = msgspec.json.decode((SAMPLES / "runs.completed.json").read_bytes())
    payload["added_in_a_later_minor_version"] = {"anything": [1, 2]}
    event = msgspec.convert(payload, RunCompleted)
    assert event.run_id == "r1"


def test_a_reply_carries_its_requests_correlation_and_a_dead_letter_gives_it_back() -> None:
    asked = Correlation(flow="sync", run_id="r1", step="match", index=2, side="b")
    request = CandidatesRequested(
        user_id="u1", correlation=asked, request_id="q1", connection_id="k", provider="p", tracks=()
    )
    reply = CandidatesFound(**reply_to(request), request_id="q1", connection_id="k", provider="p")
    assert reply.correlation == asked
    decoded = msgspec.json.decode(msgspec.json.encode(reply), type=CandidatesFound)
    assert decoded.correlation == asked
    assert correlation_of(msgspec.json.encode(request)) == ("u1", asked)
    # A message sent before correlations, or not a message at all, has none.
    assert correlation_of((SAMPLES / "providers.candidates_requested.json").read_bytes()) is None
    assert correlation_of(b"not json") is None
    assert correlation_of(b'{"user_id": "u1", "correlation": {"flow": "nope"}}') is None


def test_tags_are_unique_and_subjects_follow_the_scheme() -> None:
    tags = [tag_of(t) for t in EVENT_TYPES]
    assert len(tags) == len(set(tags))
    topology = Topology()
    for event_type in EVENT_TYPES:
        subject = topology.subject(event_type)
        assert re.fullmatch(r"tunebridge\.v1\.[a-z]+\.[a-z_]+", subject), subject
        assert topology.stream_for(event_type) == f"TUNEBRIDGE_{subject.split('.')[2].upper()}"
        assert "." not in topology.durable("scheduler", event_type)
    assert "deadletter" in all_domains()


def test_namespace_isolates_every_name() -> None:
    plain, isolated = Topology(), Topology("t1")
    for event_type in EVENT_TYPES:
        assert plain.subject(event_type) != isolated.subject(event_type)
        assert plain.stream_for(event_type) != isolated.stream_for(event_type)
        assert plain.durable("matcher", event_type) != isolated.durable("matcher", event_type)
    assert plain.bucket("runs") != isolated.bucket("runs")
    with pytest.raises(ValueError):
        Topology("bad.namespace")
