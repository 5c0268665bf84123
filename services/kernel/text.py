"""Text shown back to people: what may not be in it, and the bounds of a track's names."""

from __future__ import annotations

import re

#: Control characters and text-direction marks and overrides (as a regex character class):
#: in a page, report or log they hide or disguise the text that follows them.
UNPRINTABLE_CHARS = r"\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(f"[{UNPRINTABLE_CHARS}]")

#: The longest title and the longest artist or album name a track may carry: longer than
#: any real one (classical titles run to a few hundred characters), short enough to show.
MAX_TITLE_CHARS = 2000
MAX_NAME_CHARS = 1000


def printable(text: str) -> str:
    """``text`` without control characters and text-direction marks."""
    return _UNPRINTABLE.sub("", text)
