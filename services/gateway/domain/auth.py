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


class SlidingWindow:
    """Events per key in a sliding window, in this process: once ``limit`` of them fall
    within ``window_s``, the key is blocked until the oldest leaves the window."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.seen: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str]) -> bool:
        times, now = self.seen[key], self.clock()
        while times and now - times[0] > self.window_s:
            times.popleft()
        if not times:
            del self.seen[key]  # keys come and go: keep only the ones in the window
            return False
        return len(times) >= self.limit

    def note(self, key: tuple[str, str]) -> None:
        self.seen[key].append(self.clock())
