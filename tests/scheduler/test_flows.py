"""A reply, or a request given up on, goes to the flow its correlation names; one sent
before correlations (in flight across the upgrade) is still known by its ids."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import Correlation, ProviderReadRequested
from services.scheduler.domain import flows, runs, sync

RUN = "0" * 32


def test_a_reply_goes_where_its_correlation_says_whatever_its_id() -> None:
    asked = runs.ask("r1", "library", part="plex")
    assert flows.routed(asked, "anything") == asked
    _, read = sync.ask(RUN, "read", 2, "b")
    assert flows.routed(read, "r1.library") == read


def test_a_reply_to_a_request_sent_before_correlations_is_known_by_its_id() -> None:
    key, read = sync.ask(RUN, "read", 2, "b")
    assert flows.routed(None, key) == read
    assert flows.routed(None, "r1.library", "plex") == runs.ask("r1", "library", part="plex")
    assert flows.routed(None, "someone-elses-read") is None


def test_a_dead_request_names_its_flow_and_step() -> None:
    key, write = sync.ask(RUN, "write", 0, "a", "3")
    request = ProviderReadRequested(
        user_id="u",
        correlation=write,
        request_id=key,
        connection_id="k",
        provider="deezer",
        collection="playlist",
    )
    assert flows.given_up(msgspec.json.encode(request)) == ("u", write)
    # Sent before correlations: a sync request by its id, a run's by its run id.
    old = msgspec.json.encode(
        {"type": "providers.write_requested", "user_id": "u", "request_id": key}
    )
    assert flows.given_up(old) == ("u", write)
    old_batch = b'{"type": "matching.batch_requested", "user_id": "u", "run_id": "r1"}'
    assert flows.given_up(old_batch) == (
        "u",
        Correlation(flow="missing", run_id="r1", step="match"),
    )
    old_read = msgspec.json.encode(
        {
            "type": "providers.read_requested",
            "user_id": "u",
            "request_id": "r1.library",
            "provider": "plex",
        }
    )
    assert flows.given_up(old_read) == ("u", runs.ask("r1", "library", part="plex"))
    assert flows.given_up(b"not json") is None
    assert flows.given_up(b'{"user_id": "u"}') is None
