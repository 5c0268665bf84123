"""Quality profiles: each user's named, ordered lists of acceptable files ("FLAC, else MP3
320"), chosen per download, per album and per missing-tracks run's downloads."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import JSONBody, Parameter

from services.gateway.api.dependencies import Gateway
from services.gateway.api.inputs import LOSSY_COPY, QUALITY_TARGET, Label
from services.kernel.contracts import LOSSY_COPY_KBPS, QualityProfileSpec
from services.kernel.records import QualityProfileRecord, profile_key

ProfileName = Label
Target = Annotated[str, msgspec.Meta(pattern=QUALITY_TARGET, max_length=40)]
LossyCopy = Annotated[str, msgspec.Meta(pattern=LOSSY_COPY)]
#: The longest wait for the first target: 30 days.
MAX_WAIT_S = 30 * 86400
MAX_PROFILES = 50


class QualityProfileInput(msgspec.Struct, kw_only=True):
    """A quality profile: ``targets`` best first (``flac``, then ``mp3:320``: FLAC, else
    MP3 of at least 320 kbps; ``any`` takes whatever a source gives, YouTube's lossy audio
    included); ``accept_lower`` false takes only the first target; ``lower_after_s``: a
    download looks only for the first target until that many seconds after it was asked
    for, then takes a later one (0: at once); ``lossy_copy`` (``mp3:320``, ``opus:128``)
    also keeps a lossy copy of every lossless download, in the installation's copies
    folder."""

    name: ProfileName
    targets: Annotated[list[Target], msgspec.Meta(min_length=1, max_length=10)]
    accept_lower: bool = True
    lower_after_s: Annotated[int, msgspec.Meta(ge=0, le=MAX_WAIT_S)] = 0
    lossy_copy: LossyCopy | None = None


def _spec(data: QualityProfileInput) -> QualityProfileSpec:
    name = data.name.strip()
    if not name:
        raise ValidationException("a quality profile needs a name")
    if "/" in name or set(name) == {"."}:
        # Its name is its address (``DELETE /quality-profiles/{name}``).
        message = "may not contain '/' or be only dots"
        raise ValidationException(
            f"a quality profile's name {message}",
            extra=[{"key": "name", "source": "body", "message": message}],
        )
    if data.lossy_copy is not None:
        _check_bitrate(data.lossy_copy)
    return QualityProfileSpec(
        name=name,
        targets=tuple(data.targets),
        accept_lower=data.accept_lower,
        lower_after_s=data.lower_after_s,
        lossy_copy=data.lossy_copy,
    )


def _check_bitrate(lossy_copy: str) -> None:
    audio_format, _, kbps = lossy_copy.partition(":")
    lowest, highest = LOSSY_COPY_KBPS[audio_format]
    if kbps and not lowest <= int(kbps) <= highest:
        message = f"{audio_format} is made at {lowest} to {highest} kbps, not {kbps}"
        raise ValidationException(
            message, extra=[{"key": "lossy_copy", "source": "body", "message": message}]
        )


async def profile_named(
    gateway: Gateway, user_id: str, name: str | None
) -> QualityProfileSpec | None:
    """The user's profile called ``name`` (None: none asked for); a name the user has no
    profile of is a 400 naming it."""
    if name is None:
        return None
    record = await gateway.ctx.store.get(
        "quality_profiles", profile_key(user_id, name), QualityProfileRecord
    )
    if record is None:
        raise ValidationException(f"no quality profile named {name!r}: make it first")
    return record.profile


class QualityProfilesController(Controller):
    """Each user's quality profiles."""

    path = "/api/v1/quality-profiles"
    tags = ["downloads"]

    @get("", summary="Your quality profiles")
    async def list_profiles(self, gateway: NamedDependency[Gateway]) -> list[QualityProfileSpec]:
        records = await gateway.ctx.store.values(
            "quality_profiles", f"{gateway.current_user()}.*", QualityProfileRecord
        )
        return sorted((r.profile for r in records), key=lambda p: p.name.casefold())

    @put("", summary="Make or change a quality profile (by its name)")
    async def save_profile(
        self, gateway: NamedDependency[Gateway], data: JSONBody[QualityProfileInput]
    ) -> QualityProfileSpec:
        user_id = gateway.current_user()
        spec = _spec(data)
        key = profile_key(user_id, spec.name)
        store = gateway.ctx.store
        existing = await store.keys("quality_profiles", f"{user_id}.*")
        if key not in existing and len(existing) >= MAX_PROFILES:
            raise ValidationException(f"at most {MAX_PROFILES} quality profiles each")
        await store.put(
            "quality_profiles", key, QualityProfileRecord(user_id=user_id, profile=spec)
        )
        return spec

    @delete("/{name:str}", summary="Delete a quality profile")
    async def delete_profile(
        self,
        gateway: NamedDependency[Gateway],
        name: Annotated[str, Parameter(min_length=1, max_length=200)],
    ) -> None:
        key = profile_key(gateway.current_user(), name)
        if await gateway.ctx.store.get("quality_profiles", key, QualityProfileRecord) is None:
            raise NotFoundException(f"no quality profile named {name!r}")
        await gateway.ctx.store.delete("quality_profiles", key)
