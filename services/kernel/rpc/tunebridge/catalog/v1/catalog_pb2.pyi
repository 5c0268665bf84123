from services.kernel.rpc.tunebridge.music.v1 import track_pb2 as _track_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchTracksRequest(_message.Message):
    __slots__ = ("user_id", "provider", "query", "limit", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    provider: str
    query: _track_pb2.Track
    limit: int
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., provider: _Optional[str] = ..., query: _Optional[_Union[_track_pb2.Track, _Mapping]] = ..., limit: _Optional[int] = ..., connection_id: _Optional[str] = ...) -> None: ...

class SearchTracksResponse(_message.Message):
    __slots__ = ("tracks",)
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    def __init__(self, tracks: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ...) -> None: ...

class LookupIsrcRequest(_message.Message):
    __slots__ = ("user_id", "provider", "isrc", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ISRC_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    provider: str
    isrc: str
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., provider: _Optional[str] = ..., isrc: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class LookupIsrcResponse(_message.Message):
    __slots__ = ("tracks",)
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    def __init__(self, tracks: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ...) -> None: ...

class GetTrackRequest(_message.Message):
    __slots__ = ("user_id", "provider", "track_id", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    provider: str
    track_id: str
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., provider: _Optional[str] = ..., track_id: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class GetTrackResponse(_message.Message):
    __slots__ = ("found", "track")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    found: bool
    track: _track_pb2.Track
    def __init__(self, found: _Optional[bool] = ..., track: _Optional[_Union[_track_pb2.Track, _Mapping]] = ...) -> None: ...

class ListProvidersRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Provider(_message.Message):
    __slots__ = ("name", "display_name", "capabilities", "auth", "app_needed", "public_catalog")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    APP_NEEDED_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_CATALOG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    auth: str
    app_needed: bool
    public_catalog: bool
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ..., auth: _Optional[str] = ..., app_needed: _Optional[bool] = ..., public_catalog: _Optional[bool] = ...) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[Provider]
    def __init__(self, providers: _Optional[_Iterable[_Union[Provider, _Mapping]]] = ...) -> None: ...

class DisconnectRequest(_message.Message):
    __slots__ = ("user_id", "connection_id", "every_connection")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    EVERY_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    connection_id: str
    every_connection: bool
    def __init__(self, user_id: _Optional[str] = ..., connection_id: _Optional[str] = ..., every_connection: _Optional[bool] = ...) -> None: ...

class DisconnectResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class ListPlaylistsRequest(_message.Message):
    __slots__ = ("user_id", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class PlaylistSummary(_message.Message):
    __slots__ = ("playlist_id", "name", "track_count", "owned")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    OWNED_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    name: str
    track_count: int
    owned: bool
    def __init__(self, playlist_id: _Optional[str] = ..., name: _Optional[str] = ..., track_count: _Optional[int] = ..., owned: _Optional[bool] = ...) -> None: ...

class ListPlaylistsResponse(_message.Message):
    __slots__ = ("playlists",)
    PLAYLISTS_FIELD_NUMBER: _ClassVar[int]
    playlists: _containers.RepeatedCompositeFieldContainer[PlaylistSummary]
    def __init__(self, playlists: _Optional[_Iterable[_Union[PlaylistSummary, _Mapping]]] = ...) -> None: ...

class BrowseTracksRequest(_message.Message):
    __slots__ = ("user_id", "connection_id", "collection", "playlist_id", "offset", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    connection_id: str
    collection: str
    playlist_id: str
    offset: int
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., connection_id: _Optional[str] = ..., collection: _Optional[str] = ..., playlist_id: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class BrowseTracksResponse(_message.Message):
    __slots__ = ("tracks", "has_more")
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[_track_pb2.Track]
    has_more: bool
    def __init__(self, tracks: _Optional[_Iterable[_Union[_track_pb2.Track, _Mapping]]] = ..., has_more: _Optional[bool] = ...) -> None: ...

class AddConnectionRequest(_message.Message):
    __slots__ = ("user_id", "provider", "access_token", "refresh_token", "expires_in_s", "client_id", "server_url", "username", "password", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_S_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_URL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    provider: str
    access_token: str
    refresh_token: str
    expires_in_s: float
    client_id: str
    server_url: str
    username: str
    password: str
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., provider: _Optional[str] = ..., access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in_s: _Optional[float] = ..., client_id: _Optional[str] = ..., server_url: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class AddConnectionResponse(_message.Message):
    __slots__ = ("connection_id", "account_id", "display_name", "pending")
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    account_id: str
    display_name: str
    pending: bool
    def __init__(self, connection_id: _Optional[str] = ..., account_id: _Optional[str] = ..., display_name: _Optional[str] = ..., pending: _Optional[bool] = ...) -> None: ...

class StartConsentRequest(_message.Message):
    __slots__ = ("user_id", "provider", "redirect_uri", "client_id", "app_secret", "connection_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    APP_SECRET_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    provider: str
    redirect_uri: str
    client_id: str
    app_secret: str
    connection_id: str
    def __init__(self, user_id: _Optional[str] = ..., provider: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., client_id: _Optional[str] = ..., app_secret: _Optional[str] = ..., connection_id: _Optional[str] = ...) -> None: ...

class StartConsentResponse(_message.Message):
    __slots__ = ("authorize_url", "state", "user_code", "interval_s", "expires_in_s", "developer_token")
    AUTHORIZE_URL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_S_FIELD_NUMBER: _ClassVar[int]
    DEVELOPER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    authorize_url: str
    state: str
    user_code: str
    interval_s: float
    expires_in_s: float
    developer_token: str
    def __init__(self, authorize_url: _Optional[str] = ..., state: _Optional[str] = ..., user_code: _Optional[str] = ..., interval_s: _Optional[float] = ..., expires_in_s: _Optional[float] = ..., developer_token: _Optional[str] = ...) -> None: ...

class CompleteConsentRequest(_message.Message):
    __slots__ = ("user_id", "state", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    state: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., state: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...
