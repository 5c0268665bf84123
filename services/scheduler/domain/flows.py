"""Which flow a reply or a dead request belongs to: the correlation it carries.

Pure functions. A request sent before requests carried a correlation (in flight across
the upgrade) is known the old way, by its ids (``sync._legacy_step``, ``runs.run_of``,
``runs.library_read_of``, each marked UPGRADE FALLBACK): they are asked here, and go in
the release after.
"""

from __future__ import annotations

from services.kernel.contracts import Correlation, correlation_of, fields_of
from services.scheduler.domain import runs, sync


def routed(
    correlation: Correlation | None, request_id: str = "", provider: str = ""
) -> Correlation | None:
    """The flow step a reply answers: its correlation, else (UPGRADE FALLBACK) the step
    its request id names (a sync run's, or a missing-tracks run's library read)."""
    if correlation is not None:
        return correlation
    return _legacy(request_id, provider)


def given_up(message: bytes) -> tuple[str, Correlation] | None:
    """``(user_id, correlation)`` of a dead request, or None if it belongs to no flow (or
    does not decode)."""
    found = correlation_of(message)
    if found is not None:
        return found
    return _legacy_message(message)


# --- UPGRADE FALLBACK (remove in the release after the one that added correlations) --------


def _legacy(request_id: str, provider: str) -> Correlation | None:
    asked = sync.step_of(None, request_id)
    if asked is not None:
        return asked
    run_id = runs.run_of_library_read(request_id)
    if run_id is not None:
        return runs.ask(run_id, "library", part=provider)
    return None


def _legacy_message(message: bytes) -> tuple[str, Correlation] | None:
    payload = fields_of(message)
    if payload is None:
        return None
    user_id = str(payload["user_id"])
    request = payload.get("request_id")
    if isinstance(request, str):
        asked = sync.step_of(None, request)
        if asked is not None:
            return user_id, asked
    library_read = runs.library_read_of(message)
    if library_read is not None:
        user_id, run_id, server = library_read
        return user_id, runs.ask(run_id, "library", part=server)
    owner = runs.run_of(message)
    if owner is not None:
        user_id, run_id, step = owner
        return user_id, Correlation(flow="missing", run_id=run_id, step=step)
    return None
