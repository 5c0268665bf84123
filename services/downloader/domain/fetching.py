"""Pure rules for fetched audio: is it the expected length, and what went wrong in words."""

from __future__ import annotations

#: A few seconds either way are encoding and silence; more is another edit or a video.
DURATION_TOLERANCE_S = 7.0


def duration_ok(expected_ms: int | None, actual_s: float | None) -> bool:
    """Whether a downloaded file is as long as the track it should be."""
    if not expected_ms or actual_s is None:
        return True  # nothing to compare with
    return abs(expected_ms / 1000 - actual_s) <= DURATION_TOLERANCE_S


#: What yt-dlp's errors mean for a person, by a phrase they contain.
_EXPLANATIONS = (
    ("sign in to confirm", "YouTube asks for a signed-in session: give Tunebridge a cookies file"),
    ("cookies", "YouTube asks for a signed-in session: give Tunebridge a cookies file"),
    (
        "javascript",
        "YouTube's signature challenge needs a JavaScript runtime (Deno or Node) on this machine",
    ),
    (
        "n challenge",
        "YouTube's signature challenge needs a JavaScript runtime (Deno or Node) on this machine",
    ),
    ("video unavailable", "the upload is gone or blocked in this country"),
    ("private video", "the upload is private"),
    ("http error 403", "the source refused the download (403)"),
    ("http error 404", "the source has no such file (404)"),
    ("unable to download", "the source could not be reached"),
)


def explain_error(message: str) -> str:
    """A download error in words a person can act on (the original kept after a colon)."""
    lowered = message.casefold()
    for phrase, explanation in _EXPLANATIONS:
        if phrase in lowered:
            return f"{explanation}: {message.strip()[:300]}"
    return message.strip()[:300] or "the download failed"
