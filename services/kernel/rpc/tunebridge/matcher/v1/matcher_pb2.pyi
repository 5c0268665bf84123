from services.kernel.rpc.tunebridge.music.v1 import track_pb2 as _track_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RankCandidatesRequest(_message.Message):
    __slots__ = ("user_id", "source", "candidates", "explain")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    source: _track_pb2.Track
    candidates: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    explain: bool
    def __init__(self, user_id: _Optional[str] = ..., source: _Optional[_Union[_track_pb2.Track, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ..., explain: _Optional[bool] = ...) -> None: ...

class Contribution(_message.Message):
    __slots__ = ("feature", "value", "contribution")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    feature: str
    value: str
    contribution: float
    def __init__(self, feature: _Optional[str] = ..., value: _Optional[str] = ..., contribution: _Optional[float] = ...) -> None: ...

class RankedCandidate(_message.Message):
    __slots__ = ("index", "confidence", "explain")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    index: int
    confidence: float
    explain: _containers.RepeatedCompositeFieldContainer[Contribution]
    def __init__(self, index: _Optional[int] = ..., confidence: _Optional[float] = ..., explain: _Optional[_Iterable[_Union[Contribution, _Mapping]]] = ...) -> None: ...

class RankCandidatesResponse(_message.Message):
    __slots__ = ("ranked", "decision")
    RANKED_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ranked: _containers.RepeatedCompositeFieldContainer[RankedCandidate]
    decision: str
    def __init__(self, ranked: _Optional[_Iterable[_Union[RankedCandidate, _Mapping]]] = ..., decision: _Optional[str] = ...) -> None: ...

class SuggestArtistsRequest(_message.Message):
    __slots__ = ("user_id", "title", "uploader", "duration_ms", "search_results", "options", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    UPLOADER_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    SEARCH_RESULTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    title: str
    uploader: str
    duration_ms: int
    search_results: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    options: _containers.RepeatedCompositeFieldContainer[_track_pb2.Artist]
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., title: _Optional[str] = ..., uploader: _Optional[str] = ..., duration_ms: _Optional[int] = ..., search_results: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ..., options: _Optional[_Iterable[_Union[_track_pb2.Artist, _Mapping]]] = ..., limit: _Optional[int] = ...) -> None: ...

class ArtistSuggestion(_message.Message):
    __slots__ = ("artist", "percent", "reasons")
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    artist: _track_pb2.Artist
    percent: float
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, artist: _Optional[_Union[_track_pb2.Artist, _Mapping]] = ..., percent: _Optional[float] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class SuggestArtistsResponse(_message.Message):
    __slots__ = ("suggestions",)
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[ArtistSuggestion]
    def __init__(self, suggestions: _Optional[_Iterable[_Union[ArtistSuggestion, _Mapping]]] = ...) -> None: ...

class SearchArtistsRequest(_message.Message):
    __slots__ = ("user_id", "query", "options", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    query: str
    options: _containers.RepeatedCompositeFieldContainer[_track_pb2.Artist]
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., query: _Optional[str] = ..., options: _Optional[_Iterable[_Union[_track_pb2.Artist, _Mapping]]] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchArtistsResponse(_message.Message):
    __slots__ = ("suggestions",)
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[ArtistSuggestion]
    def __init__(self, suggestions: _Optional[_Iterable[_Union[ArtistSuggestion, _Mapping]]] = ...) -> None: ...
