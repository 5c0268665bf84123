"""What a provider write has done so far, so that a redelivered request finishes it
rather than doing it again."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import ProviderWritten


class WriteProgress(msgspec.Struct, kw_only=True):
    """Recorded after each step of a write.

    Attributes:
        playlist_id: The playlist written to (known once created).
        started_adding: The append was attempted: a redelivery looks at the playlist
            before appending again.
        reply: The final answer, once the write is over.
    """

    playlist_id: str | None = None
    started_adding: bool = False
    reply: ProviderWritten | None = None
