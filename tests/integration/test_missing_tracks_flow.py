"""The thin flow through all five services, in-process, against a real NATS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kernel.runtime import SERVICE_NAMES
from tests.support.audio import make_audio
from tests.support.installation import Installation, running_installation
from tests.support.runs import wait_for_run

pytestmark = pytest.mark.timeout(120)


def library(folder: Path) -> None:
    make_audio(
        folder / "Queen" / "01 Bohemian Rhapsody.mp3",
        seconds=3,
        title="Bohemian Rhapsody",
        artist="Queen",
        album="A Night at the Opera",
        tracknumber="1",
    )
    make_audio(
        folder / "Beatles" / "hey jude.flac",
        seconds=3,
        title="Hey Jude",
        artist="The Beatles",
        album="Hey Jude",
    )
    make_audio(folder / "untagged" / "Nina Simone - Feeling Good.ogg", seconds=3)


PLAYLIST_M3U = """#EXTM3U
#EXTINF:3,Queen - Bohemian Rhapsody
/elsewhere/queen.mp3
#EXTINF:3,The Beatles - Hey Jude
/elsewhere/jude.mp3
#EXTINF:300,Nirvana - Smells Like Teen Spirit
/elsewhere/nirvana.mp3
Nina Simone - Feeling Good.mp3
"""


async def test_run_reports_present_and_missing_tracks_with_one_trace_across_services(
    nats_url: str, namespace: str, music_dir: Path
) -> None:
    library(music_dir)
    (music_dir / "empty.mp3").write_bytes(b"")  # a hostile file: skipped, and said so
    exporter = InMemorySpanExporter()
    async with (
        running_installation(
            nats_url, namespace, span_processors=[SimpleSpanProcessor(exporter)]
        ) as installation,
        installation.client(timeout=10) as client,
    ):
        response = await client.post(
            "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "m3u": PLAYLIST_M3U}
        )
        assert response.status_code == 202, response.text
        run_id = response.json()["run_id"]
        assert response.headers["location"] == f"/api/v1/runs/{run_id}"
        run = await wait_for_run(client, run_id)

    assert run["status"] == "completed", run
    assert run["summary"] == {"total": 4, "present": 3, "missing": 1}
    assert run["notes"] == ["files skipped in the music folder: empty.mp3 (empty file)"]
    present = {item["track"]["title"]: item for item in run["present"]}
    assert set(present) == {"Bohemian Rhapsody", "Hey Jude", "Feeling Good"}
    assert present["Hey Jude"]["best_candidate"]["provider_id"].endswith("hey jude.flac")
    assert all(item["confidence"] >= 0.8 for item in run["present"])
    (missing,) = run["missing"]
    assert missing["track"]["title"] == "Smells Like Teen Spirit"
    assert missing["position"] == 2
    assert missing["download"]["search_query"] == "Nirvana - Smells Like Teen Spirit"
    assert missing["download"]["target_path"] == (
        "Nirvana/Nirvana - Smells Like Teen Spirit/Smells Like Teen Spirit.opus"
    )

    spans = exporter.get_finished_spans()
    (post,) = [
        s
        for s in spans
        if s.name.startswith("POST /api/v1/runs/missing-tracks") and s.parent is None
    ]
    trace_services = {
        s.resource.attributes["service.name"]
        for s in spans
        if s.context.trace_id == post.context.trace_id
    }
    assert trace_services == set(SERVICE_NAMES)


async def test_large_playlist_is_split_into_batches_and_every_track_reported_once(
    api: httpx.AsyncClient, music_dir: Path
) -> None:
    make_audio(music_dir / "t.mp3", title="Track 7", artist="Band")
    tracks = [{"title": f"Track {n}", "artists": ["Band"]} for n in range(250)]
    response = await api.post(
        "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "tracks": tracks}
    )
    run = await wait_for_run(api, response.json()["run_id"])
    assert run["progress"]["batches"] == 3
    # "matched 250 of 250": every track compared with the library, each counted once.
    assert run["progress"]["tracks_matched"] == run["progress"]["playlist_tracks"] == 250
    positions = sorted(item["position"] for item in run["present"] + run["missing"])
    assert positions == list(range(250)), {
        k: run[k] for k in ("status", "error", "progress", "summary")
    }
    assert [item["track"]["title"] for item in run["present"]] == ["Track 7"]


async def test_missing_folder_fails_the_run_with_a_clear_reason(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    response = await api.post(
        "/api/v1/runs/missing-tracks",
        json={"folder": str(tmp_path / "nowhere"), "tracks": [{"title": "Song"}]},
    )
    run = await wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "failed"
    assert "folder not found" in run["error"]
    assert str(tmp_path / "nowhere") in run["error"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"folder": "/music"}, "exactly one of"),
        ({"folder": "/music", "csv": "Track Name\nx\n", "m3u": "x.mp3"}, "exactly one of"),
        ({"folder": "/music", "m3u": "#EXTM3U\n", "tracks": [{"title": "x"}]}, "exactly one of"),
        ({"folder": "relative/music", "tracks": [{"title": "x"}]}, "absolute"),
        ({"folder": "/music", "tracks": []}, "empty"),
        ({"folder": "/music", "tracks": [{"title": ""}]}, "title"),
        ({"folder": "/music", "tracks": [{"artists": ["no title"]}]}, "title"),
        ({"folder": "/music", "tracks": [{"title": "x", "duration_ms": -5}]}, "duration_ms"),
    ],
)
async def test_bad_requests_get_a_clear_400_and_start_nothing(
    installation: Installation, api: httpx.AsyncClient, body: dict[str, Any], expected: str
) -> None:
    response = await api.post("/api/v1/runs/missing-tracks", json=body)
    assert response.status_code == 400, response.text
    assert expected in response.text
    store = installation.store
    assert await store.keys("runs") == []
    assert await store.keys("results") == []


async def test_unknown_run_is_404_and_a_malformed_id_400(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"/api/v1/runs/{'0' * 32}")).status_code == 404
    assert (await api.get("/api/v1/runs/not-an-id")).status_code == 400


@pytest.mark.parametrize(
    "playlist",
    [
        {
            "csv": "Track Name,Artist Name(s),Track Duration (ms)\n"
            "Bohemian Rhapsody,Queen,3000\nSmells Like Teen Spirit,Nirvana,301000\n"
        },
        {
            "spotify_export": {
                "playlists": [
                    {
                        "name": "Mine",
                        "items": [
                            {
                                "track": {
                                    "trackName": "Bohemian Rhapsody",
                                    "artistName": "Queen",
                                    "albumName": "A Night at the Opera",
                                    "trackUri": "spotify:track:7tFiyTwD0nx5a1eklYtX2J",
                                }
                            },
                            {
                                "track": {
                                    "trackName": "Smells Like Teen Spirit",
                                    "artistName": "Nirvana",
                                    "albumName": "Nevermind",
                                    "trackUri": "spotify:track:5ghIJDpPoe3CfHMGu71E6T",
                                }
                            },
                        ],
                    }
                ]
            }
        },
    ],
    ids=["csv", "spotify-export"],
)
async def test_export_files_are_accepted_as_playlists(
    api: httpx.AsyncClient, music_dir: Path, playlist: dict[str, Any]
) -> None:
    library(music_dir)
    response = await api.post(
        "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), **playlist}
    )
    assert response.status_code == 202, response.text
    run = await wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "completed", run
    assert [i["track"]["title"] for i in run["present"]] == ["Bohemian Rhapsody"]
    assert [i["track"]["title"] for i in run["missing"]] == ["Smells Like Teen Spirit"]


async def test_an_unreadable_export_fails_the_run_with_the_reason(
    api: httpx.AsyncClient, music_dir: Path
) -> None:
    response = await api.post(
        "/api/v1/runs/missing-tracks", json={"folder": str(music_dir), "csv": "Artist\nQueen\n"}
    )
    run = await wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "failed"
    assert run["error"].startswith("playlist: no title column")
