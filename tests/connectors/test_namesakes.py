"""Which candidates only their albums can tell apart: two or more named exactly as the
artist followed (a few of them); none when one alone has its name."""

from __future__ import annotations

from services.connectors.domain.search import NAMESAKES_READ, namesakes
from services.kernel.contracts import Track


def artist(name: str) -> Track:
    return Track(title=name, entity="artist")


def test_two_of_the_name_are_namesakes_and_one_alone_is_not() -> None:
    followed = artist("Nirvana")
    found = [artist("Nirvana UK"), artist("NIRVANA "), artist("Nirvana"), artist("Nirvanna")]
    assert namesakes(followed, found) == [1, 2]
    assert namesakes(followed, [artist("Nirvana"), artist("Nirvana UK")]) == []
    assert namesakes(artist(""), [artist(""), artist("")]) == []


def test_only_a_few_namesakes_are_read() -> None:
    many = [artist("Aurora")] * 8
    assert namesakes(artist("Aurora"), many) == list(range(NAMESAKES_READ))
