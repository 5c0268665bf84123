from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchAudioRequest(_message.Message):
    __slots__ = ("user_id", "query", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    query: str
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., query: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class AudioResult(_message.Message):
    __slots__ = ("index", "origin", "title", "uploader", "duration_ms", "codec", "bitrate_kbps", "lossless", "size_bytes", "folder", "track_title", "artists", "album", "track_number", "free_slot")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    UPLOADER_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    BITRATE_KBPS_FIELD_NUMBER: _ClassVar[int]
    LOSSLESS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FOLDER_FIELD_NUMBER: _ClassVar[int]
    TRACK_TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTISTS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    TRACK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FREE_SLOT_FIELD_NUMBER: _ClassVar[int]
    index: int
    origin: str
    title: str
    uploader: str
    duration_ms: int
    codec: str
    bitrate_kbps: int
    lossless: bool
    size_bytes: int
    folder: str
    track_title: str
    artists: _containers.RepeatedScalarFieldContainer[str]
    album: str
    track_number: int
    free_slot: bool
    def __init__(self, index: _Optional[int] = ..., origin: _Optional[str] = ..., title: _Optional[str] = ..., uploader: _Optional[str] = ..., duration_ms: _Optional[int] = ..., codec: _Optional[str] = ..., bitrate_kbps: _Optional[int] = ..., lossless: _Optional[bool] = ..., size_bytes: _Optional[int] = ..., folder: _Optional[str] = ..., track_title: _Optional[str] = ..., artists: _Optional[_Iterable[str]] = ..., album: _Optional[str] = ..., track_number: _Optional[int] = ..., free_slot: _Optional[bool] = ...) -> None: ...

class UnavailableSource(_message.Message):
    __slots__ = ("origin", "reason")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    origin: str
    reason: str
    def __init__(self, origin: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SearchAudioResponse(_message.Message):
    __slots__ = ("search_id", "results", "unavailable", "sources")
    SEARCH_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    search_id: str
    results: _containers.RepeatedCompositeFieldContainer[AudioResult]
    unavailable: _containers.RepeatedCompositeFieldContainer[UnavailableSource]
    sources: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, search_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[AudioResult, _Mapping]]] = ..., unavailable: _Optional[_Iterable[_Union[UnavailableSource, _Mapping]]] = ..., sources: _Optional[_Iterable[str]] = ...) -> None: ...
