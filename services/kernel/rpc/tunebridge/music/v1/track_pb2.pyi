from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Track(_message.Message):
    __slots__ = ("title", "artists", "album", "duration_ms", "isrc", "explicit", "provider", "provider_id", "kind", "views", "album_artists", "track_number", "disc_number", "release_date", "genres", "artwork_urls", "track_total", "disc_total", "label", "entity", "upc")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTISTS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    ISRC_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_ARTISTS_FIELD_NUMBER: _ClassVar[int]
    TRACK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DISC_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    ARTWORK_URLS_FIELD_NUMBER: _ClassVar[int]
    TRACK_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISC_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    UPC_FIELD_NUMBER: _ClassVar[int]
    title: str
    artists: _containers.RepeatedScalarFieldContainer[str]
    album: str
    duration_ms: int
    isrc: str
    explicit: bool
    provider: str
    provider_id: str
    kind: str
    views: int
    album_artists: _containers.RepeatedScalarFieldContainer[str]
    track_number: int
    disc_number: int
    release_date: str
    genres: _containers.RepeatedScalarFieldContainer[str]
    artwork_urls: _containers.RepeatedScalarFieldContainer[str]
    track_total: int
    disc_total: int
    label: str
    entity: str
    upc: str
    def __init__(self, title: _Optional[str] = ..., artists: _Optional[_Iterable[str]] = ..., album: _Optional[str] = ..., duration_ms: _Optional[int] = ..., isrc: _Optional[str] = ..., explicit: _Optional[bool] = ..., provider: _Optional[str] = ..., provider_id: _Optional[str] = ..., kind: _Optional[str] = ..., views: _Optional[int] = ..., album_artists: _Optional[_Iterable[str]] = ..., track_number: _Optional[int] = ..., disc_number: _Optional[int] = ..., release_date: _Optional[str] = ..., genres: _Optional[_Iterable[str]] = ..., artwork_urls: _Optional[_Iterable[str]] = ..., track_total: _Optional[int] = ..., disc_total: _Optional[int] = ..., label: _Optional[str] = ..., entity: _Optional[str] = ..., upc: _Optional[str] = ...) -> None: ...

class Artist(_message.Message):
    __slots__ = ("name", "image_url", "provider_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    image_url: str
    provider_id: str
    def __init__(self, name: _Optional[str] = ..., image_url: _Optional[str] = ..., provider_id: _Optional[str] = ...) -> None: ...
