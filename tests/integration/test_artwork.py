"""Cover art is fetched over real HTTP and taken only when it is a bounded JPEG or PNG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.downloader.adapters.artwork import CoverArt
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import DownloadRequested, PlannedDownload, Track
from tests.support.audio import make_picture
from tests.support.files import serving_folder

pytestmark = pytest.mark.timeout(60)

#: The test's picture server is on loopback, which covers may come from only when allowed.
LOOPBACK = AddressPolicy.from_entries(["127.0.0.1"])


@pytest.fixture
def covers(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "covers"
    make_picture(root / "small.jpg", size=32)
    make_picture(root / "small.png", size=32)
    make_picture(root / "large.jpg", size=1200)
    (root / "fake.jpg").write_bytes(b"<html>not a picture</html>")  # served as image/jpeg
    (root / "page.html").write_bytes(b"\xff\xd8\xff\xe0 a JPEG's first bytes, as HTML")
    with serving_folder(root) as url:
        yield url, root


def request(*urls: str) -> DownloadRequested:
    track = Track(title="Teardrop", artists=("Massive Attack",), artwork_urls=urls)
    item = PlannedDownload(position=0, track=track, search_query="", target_path="")
    return DownloadRequested(user_id="u", download_id="d-0", item=item)


async def test_a_jpeg_or_png_within_the_limit_is_taken(covers: tuple[str, Path]) -> None:
    url, root = covers
    art = CoverArt(max_bytes=100_000, addresses=LOOPBACK)
    try:
        assert await art(request(f"{url}/small.jpg")) == (root / "small.jpg").read_bytes()
        assert await art(request(f"{url}/small.png")) == (root / "small.png").read_bytes()
    finally:
        await art.close()


async def test_what_is_too_large_or_no_picture_is_refused_and_the_next_address_tried(
    covers: tuple[str, Path],
) -> None:
    url, root = covers
    assert (root / "large.jpg").stat().st_size > 5_000
    art = CoverArt(max_bytes=5_000, addresses=LOOPBACK)
    try:
        for refused in ("large.jpg", "fake.jpg", "page.html", "missing.jpg"):
            assert await art(request(f"{url}/{refused}")) is None, refused
        assert await art(request("file:///etc/passwd", "ftp://example.org/x.jpg")) is None
        # Largest first: when the large one is refused, the smaller one is taken.
        found = await art(request(f"{url}/large.jpg", f"{url}/small.jpg"))
        assert found == (root / "small.jpg").read_bytes()
    finally:
        await art.close()


async def test_a_cover_on_a_private_address_is_refused_unless_allowed(
    covers: tuple[str, Path],
) -> None:
    url, _ = covers
    art = CoverArt()
    try:
        assert await art(request(f"{url}/small.jpg")) is None
    finally:
        await art.close()
