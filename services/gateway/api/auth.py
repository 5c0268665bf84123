"""Who is asking: first-run set-up, log-in with browser sessions (secure cookie + CSRF
token), API tokens for scripts and the CLI (shown once, stored as digests, scoped,
revocable), and the admin's user list.

Every other endpoint needs a session or a token, except health, the OpenAPI document, the
webhook inbound endpoint (signed instead) and the log-in itself. Each request acts as its
user: every record is keyed by user id, so one user's ids are simply not found for another
(404, not 403: ids do not leak).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
import pyotp
import segno
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import JSONBody, Parameter
from litestar.types import ASGIApp

from services.gateway.adapters.passwords import WorkersBusy
from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import CURRENT_USER, Gateway
from services.gateway.api.inputs import Label
from services.gateway.domain.auth import (
    DUMMY_HASH,
    hash_password,
    new_token,
    password_matches,
    token_digest,
)
from services.gateway.records import (
    ApiTokenRecord,
    NameRecord,
    SessionRecord,
    TokenScope,
    UserRecord,
    name_key,
)
from services.kernel.contracts import UserRemoved, new_id
from services.kernel.crypto import SecretBox
from services.kernel.erasure import erase_user_keys

SESSION_COOKIE = "tb_session"
#: The key, among user names, that marks an installation as set up (its first admin made).
SETUP_DONE = "_setup_done"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Paths that need no log-in (regular expressions, as Litestar matches them).
OPEN_PATHS = [
    "^/api/v1/health",
    "^/schema",
    "^/api/v1/setup$",
    "^/api/v1/login$",
    "^/api/v1/hooks/",
]
Id = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$")]
# Dots only between other characters: a name is also a key in the store, whose keys are
# dot-separated tokens (".", "a..b" or "a." would be no key at all).
Username = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_@-]+(\.[A-Za-z0-9_@-]+)*$")
]
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=1024)]


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """The user a request acts as, and how it proved it."""

    user_id: str
    via: Literal["session", "token"]
    scopes: tuple[TokenScope, ...]
    is_admin: bool
    csrf_token: str = ""


async def identify(
    gateway: Gateway, connection: ASGIConnection[Any, Any, Any, Any]
) -> Identity | None:
    """The identity a request's API token or session cookie proves, if any."""
    store = gateway.ctx.store
    authorization = connection.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        token = await store.get(
            "api_tokens", token_digest(authorization[7:].strip()), ApiTokenRecord
        )
        user = await store.get("users", token.user_id, UserRecord) if token else None
        if token is None or user is None:
            return None
        return Identity(
            user_id=user.user_id,
            via="token",
            scopes=tuple(token.scopes),
            is_admin=user.is_admin and "admin" in token.scopes,
        )
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await store.get("sessions", token_digest(cookie), SessionRecord)
        user = await store.get("users", session.user_id, UserRecord) if session else None
        if session and user:
            return Identity(
                user_id=user.user_id,
                via="session",
                scopes=("read", "write", "admin"),
                is_admin=user.is_admin,
                csrf_token=session.csrf_token,
            )
    return None


class ApiAuthentication(AbstractAuthenticationMiddleware):
    """Authenticates every request not on an open path (see the module docstring)."""

    def __init__(self, app: ASGIApp, gateway: Gateway, **options: Any) -> None:
        super().__init__(app, exclude=OPEN_PATHS, **options)
        self.gateway = gateway

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        identity = await identify(self.gateway, connection)
        if identity is None:
            raise NotAuthorizedException(
                "log in, or send an API token as 'Authorization: Bearer <token>'"
            )
        if connection.scope.get("method") not in SAFE_METHODS:
            if identity.via == "session" and not secrets.compare_digest(
                connection.headers.get(CSRF_HEADER, ""), identity.csrf_token
            ):
                raise PermissionDeniedException(
                    "a change from a browser session needs its X-CSRF-Token header"
                )
            if "write" not in identity.scopes:
                raise PermissionDeniedException("this token may only read")
        CURRENT_USER.set(identity.user_id)
        return AuthenticationResult(user=identity, auth=identity.via)


class Credentials(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A name and a password (10 characters at least)."""

    username: Username
    password: Password


class LogIn(Credentials, kw_only=True, forbid_unknown_fields=True):
    """A name, a password, and the current one-time code when TOTP is on."""

    totp: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")] | None = None


class TotpCode(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A code from the authenticator app."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


class TotpEnrolment(msgspec.Struct, kw_only=True):
    """The secret for an authenticator app (shown once, also as an ``otpauth://`` URI and
    as that URI's QR code, an SVG ``data:`` URI to show as an image); confirm it with a code
    to turn TOTP on."""

    secret: str
    otpauth_uri: str
    qr_code: str


class NewUser(Credentials, kw_only=True, forbid_unknown_fields=True):
    """A user an admin adds."""

    is_admin: bool = False


class UserView(msgspec.Struct, kw_only=True):
    """A user (never the password's hash, nor the TOTP secret)."""

    user_id: str
    username: str
    is_admin: bool
    totp_enabled: bool
    created_at: datetime


class LoggedIn(msgspec.Struct, kw_only=True):
    """A session was opened (its cookie is set); send ``csrf_token`` as ``X-CSRF-Token``
    with every request that changes something."""

    user: UserView
    csrf_token: str


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An API token: a name to know it by, and what it may do (``read``: GET only;
    ``write``: everything the user can; ``admin``: managing users, for an admin)."""

    name: Label
    scopes: Annotated[list[TokenScope], msgspec.Meta(min_length=1, max_length=3)] = msgspec.field(
        default_factory=lambda: ["read", "write"]
    )


class TokenView(msgspec.Struct, kw_only=True):
    """An API token as listed (never the token itself)."""

    token_id: str
    name: str
    scopes: list[TokenScope]
    created_at: datetime


class NewToken(TokenView, kw_only=True):
    """A token just made: ``token`` is shown this once."""

    token: str


def _user_view(user: UserRecord) -> UserView:
    return msgspec.convert(user, UserView, from_attributes=True)


def _token_view(token: ApiTokenRecord) -> TokenView:
    return msgspec.convert(token, TokenView, from_attributes=True)


async def _hashed(gateway: Gateway, password: str) -> str:
    try:
        return await gateway.passwords.run(hash_password, password)
    except WorkersBusy:
        raise ServiceUnavailableException(
            "the gateway is busy checking passwords: try again in a moment",
            headers={"Retry-After": "1"},
        ) from None


async def _add_user(
    gateway: Gateway, data: Credentials, is_admin: bool, password_hash: str | None = None
) -> UserRecord:
    user = UserRecord(
        user_id=new_id(),
        username=data.username,
        password_hash=password_hash or await _hashed(gateway, data.password),
        is_admin=is_admin,
    )
    if not await gateway.ctx.store.create(
        "usernames", name_key(data.username), NameRecord(user_id=user.user_id)
    ):
        raise ClientException(f"the name {data.username!r} is taken", status_code=409)
    await gateway.ctx.store.put("users", user.user_id, user)
    return user


def _identity(request: Request[Any, Any, Any]) -> Identity:
    identity = request.scope.get("user")
    if not isinstance(identity, Identity):
        raise NotAuthorizedException("log in first")
    return identity


class AuthController(Controller):
    """Set-up, log-in, your API tokens, and (for admins) the users."""

    path = "/api/v1"
    tags = ["users"]

    @post("/setup", status_code=201, summary="First run: make the admin (only while there is none)")
    async def setup(
        self, gateway: NamedDependency[Gateway], data: JSONBody[Credentials]
    ) -> UserView:
        done = ClientException("this installation is set up already: log in", status_code=409)
        if await gateway.ctx.store.get("usernames", SETUP_DONE, NameRecord) is not None:
            raise done  # answered without hashing anything
        # Hashed before the marker is made, so a busy gateway cannot leave it half set up.
        password_hash = await _hashed(gateway, data.password)
        # One marker, created once: of two set-ups racing, one wins.
        if not await gateway.ctx.store.create("usernames", SETUP_DONE, NameRecord(user_id="")):
            raise done
        return _user_view(await _add_user(gateway, data, True, password_hash))

    @post("/login", status_code=200, summary="Log in: opens a session (cookie)")
    async def login(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        data: JSONBody[LogIn],
    ) -> Response[LoggedIn]:
        # The peer's address, or the one a trusted proxy forwarded (see http_server.py).
        address = request.client.host if request.client else ""
        username = data.username.casefold()
        limits = gateway.login_limits
        if await limits.blocked(address, username):
            raise TooManyRequestsException(
                "too many failed log-ins: wait a few minutes", headers={"Retry-After": "60"}
            )
        counted = await limits.attempt(address, username)  # a failure until shown otherwise
        store = gateway.ctx.store
        name = await store.get("usernames", name_key(username), NameRecord)
        user = await store.get("users", name.user_id, UserRecord) if name and name.user_id else None
        try:
            known = await gateway.passwords.run(
                password_matches, data.password, user.password_hash if user else DUMMY_HASH
            )
        except WorkersBusy:
            await limits.succeeded(counted)  # never checked: it neither failed nor succeeded
            raise TooManyRequestsException(
                "too many log-ins at once: try again in a moment", headers={"Retry-After": "1"}
            ) from None
        if not known or user is None:
            raise NotAuthorizedException("wrong name or password")
        if user.totp_enabled and not _totp_ok(gateway, user, data.totp):
            raise NotAuthorizedException("this account needs its one-time code ('totp')")
        await limits.succeeded(counted)
        token, csrf = new_token(), secrets.token_urlsafe(24)
        await store.put(
            "sessions", token_digest(token), SessionRecord(user_id=user.user_id, csrf_token=csrf)
        )
        return Response(
            LoggedIn(user=_user_view(user), csrf_token=csrf),
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=token,
                    httponly=True,
                    samesite="lax",
                    secure=request.url.scheme == "https" or gateway.settings.secure_cookies,
                    path="/",
                    max_age=14 * 86400,
                )
            ],
        )

    @post(
        "/logout",
        status_code=204,
        summary="Log out: the session ends",
        response_cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
    )
    async def logout(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            await gateway.ctx.store.delete("sessions", token_digest(cookie))

    @get("/me", summary="Who you are")
    async def me(self, gateway: NamedDependency[Gateway]) -> UserView:
        return _user_view(await self._me(gateway))

    @post("/me/totp", status_code=201, summary="Start turning on TOTP: a secret for an app")
    async def enrol_totp(self, gateway: NamedDependency[Gateway]) -> TotpEnrolment:
        user = await self._me(gateway)
        if user.totp_enabled:
            raise ClientException("TOTP is on already; turn it off first", status_code=409)
        secret = pyotp.random_base32()
        sealed = _sealer(gateway).encrypt(secret, context=user.user_id)
        await gateway.ctx.store.update(
            "users",
            user.user_id,
            UserRecord,
            lambda u: msgspec.structs.replace(u, totp_secret=sealed, totp_enabled=False),
        )
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Tunebridge")
        qr_code = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_code=qr_code)

    @post("/me/totp/confirm", status_code=200, summary="Turn TOTP on with a code from the app")
    async def confirm_totp(
        self, gateway: NamedDependency[Gateway], data: JSONBody[TotpCode]
    ) -> UserView:
        user = await self._me(gateway)
        if user.totp_secret is None or not _totp_ok(gateway, user, data.code):
            raise ValidationException("that code is not the app's current one")
        return _user_view(await self._set_totp(gateway, user, enabled=True))

    @post("/me/totp/disable", status_code=200, summary="Turn TOTP off (needs a current code)")
    async def disable_totp(
        self, gateway: NamedDependency[Gateway], data: JSONBody[TotpCode]
    ) -> UserView:
        user = await self._me(gateway)
        if not user.totp_enabled or not _totp_ok(gateway, user, data.code):
            raise ValidationException("TOTP is off, or that code is not the app's current one")
        return _user_view(await self._set_totp(gateway, user, enabled=False))

    async def _me(self, gateway: Gateway) -> UserRecord:
        user = await gateway.ctx.store.get("users", gateway.current_user(), UserRecord)
        if user is None:
            raise NotAuthorizedException("your user is gone")
        return user

    async def _set_totp(self, gateway: Gateway, user: UserRecord, enabled: bool) -> UserRecord:
        changed = await gateway.ctx.store.update(
            "users",
            user.user_id,
            UserRecord,
            lambda u: msgspec.structs.replace(
                u, totp_enabled=enabled, totp_secret=u.totp_secret if enabled else None
            ),
        )
        if changed is None:
            raise NotAuthorizedException("your user is gone")
        return changed

    @post("/tokens", status_code=201, summary="Make an API token (shown once)")
    async def make_token(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
    ) -> NewToken:
        identity = _identity(request)
        if "admin" in data.scopes and not identity.is_admin:
            raise PermissionDeniedException("only an admin's token may have the admin scope")
        if identity.via == "token" and not set(data.scopes) <= set(identity.scopes):
            raise PermissionDeniedException("a token cannot make a token stronger than itself")
        token = new_token()
        record = ApiTokenRecord(
            token_id=new_id(),
            user_id=identity.user_id,
            name=data.name,
            scopes=list(dict.fromkeys(data.scopes)),
        )
        await gateway.ctx.store.put("api_tokens", token_digest(token), record)
        return NewToken(**msgspec.structs.asdict(_token_view(record)), token=token)

    @get("/tokens", summary="Your API tokens")
    async def list_tokens(self, gateway: NamedDependency[Gateway]) -> list[TokenView]:
        user_id = gateway.current_user()
        tokens = [
            t
            for t in await gateway.ctx.store.values("api_tokens", "*", ApiTokenRecord)
            if t.user_id == user_id
        ]
        return [_token_view(t) for t in sorted(tokens, key=lambda t: t.created_at)]

    @delete("/tokens/{token_id:str}", status_code=204, summary="Revoke an API token")
    async def revoke_token(self, gateway: NamedDependency[Gateway], token_id: Id) -> None:
        user_id, store = gateway.current_user(), gateway.ctx.store
        for key in await store.keys("api_tokens"):
            token = await store.get("api_tokens", key, ApiTokenRecord)
            if token and token.token_id == token_id and token.user_id == user_id:
                await store.delete("api_tokens", key)
                return
        raise NotFoundException(f"no token {token_id}")

    @post("/users", status_code=201, summary="Add a user (admins)")
    async def add_user(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        data: JSONBody[NewUser],
    ) -> UserView:
        _admin(request)
        return _user_view(await _add_user(gateway, data, data.is_admin))

    @get("/users", summary="Every user (admins)")
    async def list_users(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any]
    ) -> list[UserView]:
        _admin(request)
        users = await gateway.ctx.store.values("users", "*", UserRecord)
        return [_user_view(u) for u in sorted(users, key=lambda u: u.created_at)]

    @delete(
        "/users/{user_id:str}",
        status_code=204,
        summary="Remove a user and everything of theirs: sessions, tokens, connections, "
        "webhooks, jobs, schedules, mappings, runs, downloads (admins)",
    )
    async def remove_user(
        self, gateway: NamedDependency[Gateway], request: Request[Any, Any, Any], user_id: Id
    ) -> None:
        identity = _admin(request)
        store = gateway.ctx.store
        if user_id == identity.user_id:
            # Another admin may remove this one; with none, nobody could manage users after.
            admins = [u for u in await store.values("users", "*", UserRecord) if u.is_admin]
            raise ClientException(
                "you are the only administrator: add another administrator first"
                if len(admins) <= 1
                else "you cannot remove yourself: another administrator can",
                status_code=409,
            )
        user = await store.get("users", user_id, UserRecord)
        if user is None:
            raise NotFoundException(f"no user {user_id}")
        # Their connections go with their tokens, erased by the connectors who own them;
        # first, so that a connectors outage removes nothing and the admin can try again.
        try:
            await gateway.clients.disconnect(user_id, every_connection=True)
        except ServiceUnavailable as error:
            raise ServiceUnavailableException(
                "the connectors are not answering; nothing was removed, try again"
            ) from error
        for key in await store.keys("api_tokens"):
            token = await store.get("api_tokens", key, ApiTokenRecord)
            if token is not None and token.user_id == user_id:
                await store.delete("api_tokens", key)
        for key in await store.keys("sessions"):
            session = await store.get("sessions", key, SessionRecord)
            if session is not None and session.user_id == user_id:
                await store.delete("sessions", key)
        # Nothing of theirs starts a run any more (schedules, webhooks, the jobs they start).
        await erase_user_keys(store, user_id, ("schedules", "webhooks", "jobs", "quality_profiles"))
        await store.delete("usernames", name_key(user.username))
        await store.delete("users", user_id)
        # The rest of their reach (mappings, reviews, runs, downloads) belongs to the
        # scheduler and the downloader, which end it when they hear of it.
        await gateway.ctx.bus.publish(UserRemoved(user_id=user_id, removed_by=identity.user_id))


def _sealer(gateway: Gateway) -> SecretBox:
    if gateway.box is None:
        raise ServiceUnavailableException(
            "secrets cannot be stored: set TUNEBRIDGE_SECRETS__KEYS for the gateway"
        )
    return gateway.box


def _totp_ok(gateway: Gateway, user: UserRecord, code: str | None) -> bool:
    """Whether ``code`` is the user's current one-time code (or the one just before or
    after it: clocks drift)."""
    if not code or user.totp_secret is None or gateway.box is None:
        return False
    secret = gateway.box.decrypt(user.totp_secret, context=user.user_id)
    return bool(pyotp.TOTP(secret).verify(code, valid_window=1))


def _admin(request: Request[Any, Any, Any]) -> Identity:
    identity = _identity(request)
    if not identity.is_admin:
        raise PermissionDeniedException("only an admin may do this")
    return identity
