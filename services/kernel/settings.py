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
        return load(cls, section)
    except SettingsError as error:
        print(f"tunebridge: invalid setting {error}", file=sys.stderr)
        raise SystemExit(2) from None
