"""Bad input is refused at the edge with a clear 400, and loses and blocks nothing: a
7 MiB album, lengths no track has, user names that cannot be keys, JSON nested a thousand
deep. Through the real gateway, with every other service behind it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(120)
JSON = {"content-type": "application/json"}


def problem_field(answer: httpx.Response) -> str | None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors = answer.json().get("errors") or [{}]
    return str(errors[0].get("field")) if errors[0].get("field") else None


async def test_a_huge_album_is_refused_before_anything_is_queued(api: httpx.AsyncClient) -> None:
    track = {"title": "Teardrop", "artists": ["Massive Attack"], "album": "x" * (7 * 2**20)}
    answer = await api.post("/api/v1/downloads", json={"track": track})
    assert problem_field(answer) == "track.album"
    assert (await api.get("/api/v1/downloads")).json() == []  # nothing stuck "searching"
    album = await api.post("/api/v1/downloads/album", json={"tracks": [track]})
    assert problem_field(album) == "tracks[0].album"


@pytest.mark.parametrize("duration", [9.3e18, 1e308, -1])
async def test_a_length_no_track_has_is_refused(api: httpx.AsyncClient, duration: float) -> None:
    track = {"title": "Hey Jude", "artists": ["The Beatles"], "duration_ms": duration}
    ranked = await api.post("/api/v1/match/rank", json={"source": track, "candidates": [track]})
    assert problem_field(ranked) == "source.duration_ms"
    downloaded = await api.post("/api/v1/downloads", json={"track": track})
    assert problem_field(downloaded) == "track.duration_ms"
    checked = await api.post(
        "/api/v1/runs/missing-tracks", json={"folder": "/music", "tracks": [track]}
    )
    assert problem_field(checked) == "tracks[0].duration_ms"
    artists = await api.post(
        "/api/v1/match/artists", json={"title": "Hey Jude", "duration_ms": int(min(duration, 1e19))}
    )
    assert problem_field(artists) == "duration_ms"


@pytest.mark.parametrize("name", [".", "a..b", ".alice", "alice."])
async def test_a_user_name_that_cannot_be_a_key_is_refused(
    api: httpx.AsyncClient, name: str
) -> None:
    made = await api.post("/api/v1/users", json={"username": name, "password": "a long password"})
    assert problem_field(made) == "username"
    logged = await api.post("/api/v1/login", json={"username": name, "password": "a long password"})
    assert problem_field(logged) == "username"


async def test_a_dotted_user_name_still_works(api: httpx.AsyncClient) -> None:
    person = {"username": "alice.smith", "password": "a long password"}
    assert (await api.post("/api/v1/users", json=person)).status_code == 201
    async with httpx.AsyncClient(base_url=str(api.base_url)) as browser:
        assert (await browser.post("/api/v1/login", json=person)).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/sync/jobs", "/api/v1/runs/missing-tracks", "/api/v1/match/rank", "/api/v1/login"],
)
async def test_json_nested_a_thousand_deep_is_refused(api: httpx.AsyncClient, path: str) -> None:
    answer = await api.post(path, content="[" * 1000 + "]" * 1000, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert "nested too deeply" in answer.json()["detail"]


async def test_a_spotify_export_nested_beyond_any_real_one_is_refused(
    api: httpx.AsyncClient, music_dir: Any
) -> None:
    deep = '{"a":' * 300 + "1" + "}" * 300
    body = '{"folder": "' + str(music_dir) + '", "spotify_export": ' + deep + "}"
    answer = await api.post("/api/v1/runs/missing-tracks", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert "nested too deeply" in answer.json()["detail"]
