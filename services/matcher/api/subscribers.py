"""Bus edge of the matcher: match batches of tracks against a library snapshot, and rank
the candidates a catalog offered for each track of a sync."""

from __future__ import annotations

from collections import OrderedDict

from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import (
    MatchBatchCompleted,
    MatchBatchRequested,
    MatchOutcome,
    Ranked,
    RankedItem,
    RankRequested,
    ScoredCandidate,
    reply_to,
)
from services.kernel.store import Store, load_collection
from services.matcher.domain.library import LibraryIndex
from services.matcher.domain.releases import rank_release
from services.matcher.domain.scoring import Score, Thresholds, rank_many

#: Library indexes kept warm: a run sends many batches against the same snapshot.
CACHED_INDEXES = 4


class BatchMatcher:
    """Handles ``MatchBatchRequested``: one reply per batch, outcomes in batch order."""

    def __init__(self, bus: Bus, store: Store, thresholds: Thresholds) -> None:
        self.bus = bus
        self.store = store
        self.thresholds = thresholds
        self._indexes: OrderedDict[str, LibraryIndex] = OrderedDict()

    async def _index(self, request: MatchBatchRequested) -> LibraryIndex:
        snapshot_id = request.library.snapshot_id
        if snapshot_id in self._indexes:
            self._indexes.move_to_end(snapshot_id)
            return self._indexes[snapshot_id]
        library = await load_collection(self.store, request.library)
        if library is None:
            raise Unprocessable(f"library snapshot {snapshot_id} is gone (expired?)")
        index = LibraryIndex(library.tracks)
        self._indexes[snapshot_id] = index
        while len(self._indexes) > CACHED_INDEXES:
            self._indexes.popitem(last=False)
        return index

    async def __call__(self, request: MatchBatchRequested) -> None:
        index = await self._index(request)
        matches = index.best_matches(list(request.tracks))
        outcomes = tuple(
            MatchOutcome(
                position=request.first_position + offset,
                track=track,
                best=best,
                confidence=confidence,
                decision=self.thresholds.decide(confidence),
            )
            for offset, (track, (best, confidence)) in enumerate(
                zip(request.tracks, matches, strict=True)
            )
        )
        await self.bus.publish(
            MatchBatchCompleted(
                **reply_to(request),
                run_id=request.run_id,
                batch_index=request.batch_index,
                outcomes=outcomes,
            )
        )


class CandidateRanker:
    """Handles ``RankRequested``: each item's candidates scored, best first."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def __call__(self, request: RankRequested) -> None:
        # Every track of the request in one batch of string comparisons; albums and
        # artists (saved and followed) by their own rules.
        releases = {
            index
            for index, item in enumerate(request.items)
            if item.track.entity in ("album", "artist")
        }
        tracks = iter(
            rank_many(
                [
                    (item.track, item.candidates)
                    for index, item in enumerate(request.items)
                    if index not in releases
                ]
            )
        )
        rankings: list[list[tuple[int, Score]]] = [
            rank_release(item.track, item.candidates) if index in releases else next(tracks)
            for index, item in enumerate(request.items)
        ]
        items = tuple(
            RankedItem(
                track=item.track,
                candidates=tuple(
                    ScoredCandidate(track=item.candidates[index], confidence=score.confidence)
                    for index, score in ranking
                ),
            )
            for item, ranking in zip(request.items, rankings, strict=True)
        )
        await self.bus.publish(
            Ranked(**reply_to(request), request_id=request.request_id, items=items)
        )
