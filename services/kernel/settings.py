"""Typed, environment-driven settings that fail fast.

Every service has one frozen struct. Its fields come from ``TUNEBRIDGE_<SECTION>__<FIELD>``
variables; the shared infrastructure addresses keep their conventional names
(``NATS_URL``, ``REDIS_URL``). A bad value stops the process with the variable's name.
"""

from __future__ import annotations

import os
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import msgspec

#: Variables read under their conventional names, whatever the section.
WELL_KNOWN = {"nats_url": "NATS_URL", "redis_url": "REDIS_URL"}

S = TypeVar("S", bound=msgspec.Struct)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def env_name(section: str, field: str) -> str:
    """The environment variable that sets ``field`` of ``section``."""
    if field in WELL_KNOWN:
        return WELL_KNOWN[field]
    return f"TUNEBRIDGE_{section.upper()}__{field.upper()}"


def load(cls: type[S], section: str, environ: Mapping[str, str] | None = None) -> S:
    """Build ``cls`` from the environment, converting strings to the declared types.

    Empty variables count as unset, so ``.env`` files can list every name.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(cls):
        raw = env.get(env_name(section, field.name), "")
        if raw == "":
            continue
        if typing.get_origin(field.type) in (list, tuple):
            values[field.name] = [item.strip() for item in raw.split(",") if item.strip()]
        else:
            values[field.name] = raw
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError as error:
        # msgspec says "... - at `$.field`"; translate the path into the variable to fix.
        message = str(error)
        if "`$." in message:
            name = message.rsplit("`$.", 1)[1].rstrip("`").split(".")[0].split("[")[0]
            message = f"{env_name(section, name)}: {message.split(' - at ')[0]}"
        else:  # a check across fields: name the section
            message = f"TUNEBRIDGE_{section.upper()}__*: {message}"
        raise SettingsError(message) from None


def load_or_exit(cls: type[S], section: str) -> S:
    """``load`` for ``__main__``: print the bad variable and exit with status 2."""
    try:
        loaded = load(cls, section)
        return loaded.with_file() if isinstance(loaded, TransportSettings) else loaded  # type: ignore[return-value]
    except SettingsError as error:
        print(f"tunebridge: invalid setting {error}", file=sys.stderr)
        raise SystemExit(2) from None


class TransportSettings(msgspec.Struct, frozen=True, kw_only=True):
    """This service's own credentials on the internal transports (section ``TRANSPORT``).

    ``tunebridge up`` makes them on first start; compose and Helm take them from secrets.

    Attributes:
        nats_user: Its NATS user (``gateway``, ``connectors``...); empty connects without
            credentials, which a server with authentication refuses.
        nats_password: That user's password.
        grpc_token: Presented on every gRPC call this service makes.
        grpc_peers: Who may call this service's gRPC servers: ``name=sha256:<hex of the
            token>`` (or ``name=<token>``), comma-separated. None: every call is refused.
        file: A JSON file holding the fields above (a mounted secret, as compose and Helm
            do it; ``tunebridge credentials`` writes one per service); variables set as
            well take precedence.
    """

    nats_user: str = ""
    nats_password: str = ""
    grpc_token: str = ""
    grpc_peers: tuple[str, ...] = ()
    file: str = ""

    def with_file(self) -> TransportSettings:
        """These settings completed from ``file`` (if any)."""
        if not self.file:
            return self
        try:
            stored = msgspec.json.decode(Path(self.file).read_bytes(), type=dict[str, object])
        except (OSError, msgspec.DecodeError) as error:
            raise SettingsError(
                f"{env_name('transport', 'file')}: cannot read it ({error})"
            ) from None
        given = {
            f.name: getattr(self, f.name)
            for f in msgspec.structs.fields(self)
            if getattr(self, f.name) != f.default
        }
        try:
            return msgspec.convert({**stored, **given, "file": ""}, TransportSettings)
        except msgspec.ValidationError as error:
            raise SettingsError(f"{env_name('transport', 'file')}: {error}") from None

    def __repr__(self) -> str:  # passwords and tokens never reach a log
        return f"TransportSettings(nats_user={self.nats_user!r}, grpc_peers={len(self.grpc_peers)})"
