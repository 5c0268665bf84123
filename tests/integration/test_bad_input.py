"""Bad input is refused at the edge with a clear 400, and loses and blocks nothing: a
7 MiB album, lengths no track has, user names that cannot be keys, JSON nested a thousand
deep. Through the real gateway, with every other service behind it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.audio import make_audio
from tests.support.runs import wait_for_run

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


async def test_a_playlist_entry_past_every_bound_is_left_out_and_the_run_says_which(
    api: httpx.AsyncClient, music_dir: Any
) -> None:
    make_audio(music_dir / "teardrop.mp3", seconds=2, title="Teardrop", artist="Massive Attack")
    csv = f'Track Name,Artist Name(s)\n"{"la" * 100_000}",Someone\nTeardrop,Massive Attack\n'
    answer = await api.post(
        "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "csv": csv}
    )
    assert answer.status_code == 202, answer.text
    run = await wait_for_run(api, answer.json()["run_id"])
    assert run["status"] == "completed", run
    assert [item["track"]["title"] for item in run["present"]] == ["Teardrop"]
    assert run["notes"] == [
        "1 playlist entry was left out (unreadable): "
        f'track 1 ("{"la" * 20}…"): its title is longer than 2,000 characters'
    ]


UNPRINTABLE = ["a\x00b", "\x1b[2Jcleared", "invoice\u202egpj.exe"]


@pytest.mark.parametrize("name", UNPRINTABLE)
async def test_names_with_control_or_direction_characters_are_refused(
    api: httpx.AsyncClient, name: str
) -> None:
    ids = {"a_connection_id": "0" * 32, "b_connection_id": "1" * 32}
    job = await api.post("/api/v1/sync/jobs", json={"name": name, **ids})
    assert problem_field(job) == "name"
    assert "control characters" in job.json()["errors"][0]["message"]  # said in words
    token = await api.post("/api/v1/tokens", json={"name": name})
    assert problem_field(token) == "name"
    profile = await api.put("/api/v1/quality-profiles", json={"name": name, "targets": ["flac"]})
    assert problem_field(profile) == "name"
    hook = await api.post(
        "/api/v1/webhooks", json={"kind": "generic", "job_ids": ["0" * 32], "events": [name]}
    )
    assert problem_field(hook) == "events[0]"
    assert (await api.get("/api/v1/sync/jobs")).json() == []
    assert (await api.get("/api/v1/quality-profiles")).json() == []


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"name": "a/b", "targets": ["flac"]}, "name"),
        ({"name": "../../evil", "targets": ["flac"]}, "name"),
        ({"name": "..", "targets": ["flac"]}, "name"),
        ({"name": "best", "targets": ["flac"], "lossy_copy": "mp3:999"}, "lossy_copy"),
        ({"name": "best", "targets": ["flac"], "lossy_copy": "opus:600"}, "lossy_copy"),
    ],
)
async def test_a_profile_that_could_not_be_deleted_or_encoded_is_refused(
    api: httpx.AsyncClient, profile: dict[str, Any], field: str
) -> None:
    assert problem_field(await api.put("/api/v1/quality-profiles", json=profile)) == field
    assert (await api.get("/api/v1/quality-profiles")).json() == []


async def test_a_profile_named_like_people_name_them_is_made_and_deleted(
    api: httpx.AsyncClient,
) -> None:
    name = "FLAC, else MP3 320 (Café)"
    made = await api.put(
        "/api/v1/quality-profiles",
        json={"name": name, "targets": ["flac", "mp3:320"], "lossy_copy": "opus:6"},
    )
    assert made.status_code == 200, made.text
    assert (await api.delete(f"/api/v1/quality-profiles/{name}")).status_code == 204
    assert (await api.get("/api/v1/quality-profiles")).json() == []


async def test_a_cron_with_seconds_is_refused(api: httpx.AsyncClient) -> None:
    answer = await api.post(
        "/api/v1/schedules/", json={"job_id": "0" * 32, "cron": "*/5 * * * * *"}
    )
    assert answer.status_code == 400, answer.text
    assert "five fields" in answer.json()["detail"]
    assert (await api.get("/api/v1/schedules/")).json() == []


@pytest.mark.parametrize("path", ["/api/v1/sync/jobs", "/api/v1/quality-profiles"])
async def test_an_empty_body_is_said_to_be_empty(api: httpx.AsyncClient, path: str) -> None:
    send = api.put if path.endswith("profiles") else api.post
    answer = await send(path, content=b"", headers=JSON)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "the request body is empty: this request takes a JSON object"
