"""Secrets people hold: passwords (scrypt, memory-hard, from the standard library) and
random tokens, stored only as digests so a copy of the store gives nothing away."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

#: scrypt's cost: 2^15 x 8 x 1 uses 32 MiB per hash (OWASP's minimum is 2^17 x 8 x 1 at
#: 128 MiB; 32 MiB keeps log-in fast on a small home server while staying memory-hard).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_MEMORY = 64 * 1024 * 1024
TOKEN_PREFIX = "tb_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` for a password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=MAX_MEMORY
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAX_MEMORY,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, _unb64(digest))


#: A hash to compare against when the user does not exist, so timing does not tell.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_token() -> str:
    """A fresh secret for a session or an API token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What a token is stored under (a SHA-256: tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Window(Protocol):
    """Events per key in a sliding window: once ``limit`` of them fall within ``window_s``,
    the key is blocked until the oldest leaves the window. ``SlidingWindow`` counts in this
    process; the gateway's Redis window (adapters/limits.py) counts for every replica."""

    async def blocked(self, key: tuple[str, str]) -> bool: ...

    async def note(self, key: tuple[str, str]) -> object:
        """Count an event for ``key``; its stamp, to ``forget`` it should it not count."""

    async def forget(self, key: tuple[str, str], stamp: object) -> None:
        """Take back an event ``note`` counted (an attempt that turned out well)."""


class SlidingWindow:
    """A ``Window`` in this process (one gateway, or no Redis configured)."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.seen: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    async def blocked(self, key: tuple[str, str]) -> bool:
        times, now = self.seen[key], self.clock()
        while times and now - times[0] > self.window_s:
            times.popleft()
        if not times:
            del self.seen[key]  # keys come and go: keep only the ones in the window
            return False
        return len(times) >= self.limit

    async def note(self, key: tuple[str, str]) -> float:
        stamp = self.clock()
        self.seen[key].append(stamp)
        return stamp

    async def forget(self, key: tuple[str, str], stamp: object) -> None:
        times = self.seen.get(key)
        if times is not None and isinstance(stamp, float) and stamp in times:
            times.remove(stamp)


#: Deliveries to one webhook from one address: sixty a minute.
WEBHOOK_DELIVERIES = (60, 60.0)

#: Any name, one address; and every address together ("*" stands for all).
ANY = "*"
#: The events an attempt was counted as, in each window.
Counted = list[tuple[Window, tuple[str, str], object]]


class LoginLimits:
    """Failed log-ins counted three ways, each in its own sliding window: per name from one
    address (someone mistyping, or guessing one account), per address whatever the name
    (spraying many names), and for everyone together (many addresses at once).

    An attempt counts as a failure from the moment it starts (so a burst of concurrent
    attempts is limited before any of them has been checked) and is taken back if the
    password was right.
    """

    def __init__(
        self,
        per_name: Window,
        per_address: Window,
        overall: Window,
    ) -> None:
        self.windows = (per_name, per_address, overall)

    #: Five per name and address, twenty per address, in five minutes; 120 a minute in
    #: all (two a second: far above a household, far below a guessing attack).
    LIMITS = ((5, 300.0), (20, 300.0), (120, 60.0))

    @staticmethod
    def defaults(clock: Callable[[], float] = time.monotonic) -> LoginLimits:
        """The ``LIMITS``, counted in this process."""
        return LoginLimits(*(SlidingWindow(n, s, clock) for n, s in LoginLimits.LIMITS))

    def _keys(self, address: str, name: str) -> list[tuple[str, str]]:
        return [(address, name), (address, ANY), (ANY, ANY)]

    async def blocked(self, address: str, name: str) -> bool:
        """Whether an attempt now would be past one of the limits."""
        keys = self._keys(address, name)
        for window, key in zip(self.windows, keys, strict=True):
            if await window.blocked(key):
                return True
        return False

    async def attempt(self, address: str, name: str) -> Counted:
        """Count an attempt as failed; what ``succeeded`` takes back should it not be."""
        keys = self._keys(address, name)
        return [
            (window, key, await window.note(key))
            for window, key in zip(self.windows, keys, strict=True)
        ]

    @staticmethod
    async def succeeded(counted: Counted) -> None:
        """The attempt was right (or never checked): it no longer counts."""
        for window, key, stamp in counted:
            await window.forget(key, stamp)
