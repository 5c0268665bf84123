"""Quality profiles: which audio is good enough, in the order a person prefers it.

A profile is an ordered list of targets ("FLAC, else MP3 320"); every audio source is held
to it. A file meets a target when its format matches (``any`` for any format) and it is at
least as good as each figure the target names. ``accept_lower`` says whether a later
target may be taken at all; without it only the first target counts; with
``lower_after_s``, a download looks only for the first target until that long after it
was asked for, and takes a later one after. What a source offered and no target accepted
is said in words, so a miss names the target not found. ``lossy_copy`` (``mp3:320``,
``opus:128``) also keeps a lossy copy of each lossless download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.kernel.contracts import LOSSY_COPY_KBPS

#: Formats that keep every sample (a file in one of these is lossless).
LOSSLESS = frozenset({"flac", "wav", "alac", "aiff", "ape", "wv"})
#: What a lossy copy may be made as (format: its bitrate when the profile names none).
LOSSY_COPIES = {"mp3": 320, "opus": 160}


@dataclass(frozen=True)
class AudioQuality:
    """What a file is, as far as its source says (None: not said)."""

    format: str
    bitrate_kbps: int | None = None
    sample_rate_hz: int | None = None
    bit_depth: int | None = None

    @property
    def lossless(self) -> bool:
        return self.format in LOSSLESS


@dataclass(frozen=True)
class QualityTarget:
    """One acceptable kind of file."""

    format: str = "any"
    min_bitrate_kbps: int | None = None
    min_sample_rate_hz: int | None = None
    min_bit_depth: int | None = None

    @property
    def lossless(self) -> bool:
        return self.format in LOSSLESS

    def describe(self) -> str:
        parts = [self.format.upper() if self.format != "any" else "any format"]
        if self.min_bitrate_kbps:
            parts.append(f"{self.min_bitrate_kbps} kbps")
        if self.min_sample_rate_hz:
            parts.append(f"{self.min_sample_rate_hz / 1000:g} kHz")
        if self.min_bit_depth:
            parts.append(f"{self.min_bit_depth}-bit")
        return " ".join(parts)

    def met_by(self, quality: AudioQuality) -> bool:
        if self.format != "any" and quality.format != self.format:
            return False
        # A lossless file's bitrate is whatever its music needs: no floor applies to it.
        checks = (
            (self.min_sample_rate_hz, quality.sample_rate_hz),
            (self.min_bit_depth, quality.bit_depth),
            *(() if quality.lossless else ((self.min_bitrate_kbps, quality.bitrate_kbps),)),
        )
        # A figure the target asks for and the source does not give is not met either.
        return all(not wanted or (actual or 0) >= wanted for wanted, actual in checks)


@dataclass(frozen=True)
class QualityProfile:
    """A named, ordered list of targets."""

    name: str
    targets: tuple[QualityTarget, ...] = (QualityTarget(),)
    accept_lower: bool = True
    #: How long after a download is asked for a later target may be taken (0: at once).
    lower_after_s: float = 0.0
    #: Also keep a lossy copy (format, bitrate) of each lossless download.
    lossy_copy: QualityTarget | None = None

    @property
    def usable(self) -> tuple[QualityTarget, ...]:
        """The targets a download may be taken at."""
        return self.targets if self.accept_lower else self.targets[:1]

    @property
    def waits(self) -> bool:
        """Whether a download first looks only for the first target, for a while."""
        return self.lower_after_s > 0 and len(self.usable) > 1

    def top_only(self) -> QualityProfile:
        """This profile while it waits: the first target only."""
        return replace(self, accept_lower=False)

    def rank_of(self, quality: AudioQuality | None) -> int | None:
        """The index of the first usable target ``quality`` meets (None: none does)."""
        if quality is None:
            return None
        for index, target in enumerate(self.usable):
            if target.met_by(quality):
                return index
        return None

    def describe(self) -> str:
        names = [t.describe() for t in self.usable]
        return ", else ".join(names)


#: Anything at all: what downloads did before profiles (YouTube's audio as it comes).
ANY = QualityProfile("any")


def parse_target(text: str) -> QualityTarget:
    """``flac``, ``mp3:320``, ``flac:0:96000:24`` (format, kbps, Hz, bits; 0 or empty: any)."""
    fields = [f.strip() for f in text.strip().casefold().split(":")]
    if not fields[0] or len(fields) > 4:
        raise ValueError(f"not a quality target: {text!r} (write format[:kbps[:Hz[:bits]]])")
    numbers: list[int | None] = []
    for value in fields[1:]:
        if value and not value.isdigit():
            raise ValueError(f"not a number in quality target {text!r}: {value!r}")
        numbers.append(int(value) if value and int(value) else None)
    numbers += [None] * (3 - len(numbers))
    return QualityTarget(fields[0], numbers[0], numbers[1], numbers[2])


def parse_lossy_copy(text: str) -> QualityTarget:
    """``mp3``, ``mp3:256``, ``opus:128``: what a lossy copy is made as."""
    target = parse_target(text)
    if target.format not in LOSSY_COPIES or target.min_sample_rate_hz or target.min_bit_depth:
        raise ValueError(
            f"a lossy copy is {' or '.join(LOSSY_COPIES)} with a bitrate (mp3:320): {text!r}"
        )
    lowest, highest = LOSSY_COPY_KBPS[target.format]
    if target.min_bitrate_kbps and not lowest <= target.min_bitrate_kbps <= highest:
        raise ValueError(f"{target.format} is made at {lowest} to {highest} kbps: {text!r}")
    return replace(target, min_bitrate_kbps=target.min_bitrate_kbps or LOSSY_COPIES[target.format])


def profile_from(
    name: str,
    targets: Sequence[str],
    accept_lower: bool = True,
    lower_after_s: float = 0.0,
    lossy_copy: str | None = None,
) -> QualityProfile:
    """A profile from its written targets (see ``parse_target``) and lossy copy."""
    if not targets:
        raise ValueError(f"quality profile {name!r} has no target")
    if lower_after_s < 0:
        raise ValueError("lower_after_s is a number of seconds, 0 or more")
    return QualityProfile(
        name,
        tuple(parse_target(t) for t in targets),
        accept_lower,
        lower_after_s,
        parse_lossy_copy(lossy_copy) if lossy_copy else None,
    )
