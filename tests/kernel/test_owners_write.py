"""Each state has one writer: no service's code writes a bucket or object store that
``subjects.ACCESS`` gives to another (NATS refuses it at run time as well; this says so
before anything runs, where the write is)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.kernel.runtime import SERVICE_NAMES
from services.kernel.subjects import ACCESS, HEARTBEATS

SERVICES = Path(__file__).parents[2] / "services"
WRITE = re.compile(
    r"\.(put|create|update|change|take|delete|put_object|delete_object)\(\s*\"([a-z_]+)\""
)


def writes(service: str) -> list[tuple[str, str]]:
    """(file, bucket) of each write in ``service``'s code that names its bucket."""
    found = []
    for path in sorted((SERVICES / service).rglob("*.py")):
        for match in WRITE.finditer(path.read_text()):
            found.append((str(path.relative_to(SERVICES)), match.group(2)))
    return found


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_writes_only_what_it_owns(service: str) -> None:
    others = [
        (where, bucket)
        for where, bucket in writes(service)
        if bucket != HEARTBEATS and (bucket not in ACCESS or ACCESS[bucket].owner != service)
    ]
    assert others == [], f"{service} writes state another service owns"


def test_the_check_sees_the_writes() -> None:
    assert ("downloader/api/requests.py", "downloads") in writes("downloader")
    assert not [w for w in writes("gateway") if w[1] == "downloads"]
