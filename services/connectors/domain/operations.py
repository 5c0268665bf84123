"""What a provider write has done so far, so that a redelivered request finishes it
rather than doing it again; and how a write refused for its size is cut smaller."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from services.kernel.contracts import ProviderWritten


class WriteProgress(msgspec.Struct, kw_only=True):
    """Recorded after each step of a write.

    Attributes:
        playlist_id: The playlist written to (known once created).
        started_adding: The append was attempted: a redelivery looks at the playlist
            before appending again.
        added: How many of the request's tracks were confirmed appended (batch by batch).
        reply: The final answer, once the write is over.
    """

    playlist_id: str | None = None
    started_adding: bool = False
    added: int = 0
    reply: ProviderWritten | None = None


def resume_point(tail: Sequence[str], add: Sequence[str], confirmed: int = 0) -> int:
    """How many of ``add`` a playlist already holds, judged by the end of the playlist
    (``tail``): the longest run ``add[:n]`` (n at least ``confirmed``) it ends with.

    The sync never appends a track the target already holds, so the tracks of ``add``
    found at the end of the playlist are the ones an interrupted write already placed.
    """
    for count in range(len(add), confirmed, -1):
        if len(tail) >= count and list(tail[len(tail) - count :]) == list(add[:count]):
            return count
    return confirmed


def smaller_batch(refused: int) -> int:
    """The next batch size to try after ``refused`` items in one call were too many."""
    return max(1, refused // 2)
