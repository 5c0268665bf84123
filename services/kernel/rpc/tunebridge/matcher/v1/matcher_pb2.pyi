from services.kernel.rpc.tunebridge.music.v1 import track_pb2 as _track_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RankCandidatesRequest(_message.Message):
    __slots__ = ("user_id", "source", "candidates")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    source: _track_pb2.Track
    candidates: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    def __init__(self, user_id: _Optional[str] = ..., source: _Optional[_Union[_track_pb2.Track, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ...) -> None: ...

class RankedCandidate(_message.Message):
    __slots__ = ("index", "confidence")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    index: int
    confidence: float
    def __init__(self, index: _Optional[int] = ..., confidence: _Optional[float] = ...) -> None: ...

class RankCandidatesResponse(_message.Message):
    __slots__ = ("ranked", "decision")
    RANKED_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ranked: _containers.RepeatedCompositeFieldContainer[RankedCandidate]
    decision: str
    def __init__(self, ranked: _Optional[_Iterable[_Union[RankedCandidate, _Mapping]]] = ..., decision: _Optional[str] = ...) -> None: ...
