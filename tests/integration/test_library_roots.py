"""Users reach only their own files: folders only inside the library roots an admin set
(shared, or per user), resolved with symlinks followed; a refusal says the same whether
or not the path exists."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from services.kernel.library import REFUSED, LibrarySettings
from tests.support.audio import make_audio
from tests.support.installation import running_installation
from tests.support.runs import wait_for_run
from tests.support.users import sign_in

pytestmark = pytest.mark.timeout(120)
ALICE = {"username": "alice", "password": "alice's long password"}
BOB = {"username": "bob", "password": "bob's long password!"}
SONG = [{"title": "Hello", "artists": ["Adele"]}]


async def test_a_user_scans_only_the_shared_library_and_their_own_folder(
    nats_url: str, namespace: str, tmp_path: Path
) -> None:
    shared, homes = tmp_path / "shared", tmp_path / "homes"
    for folder in (shared, homes / "alice", homes / "bob"):
        folder.mkdir(parents=True)
    make_audio(shared / "Adele" / "Hello.opus", seconds=2, title="Hello", artist="Adele")
    make_audio(homes / "bob" / "secret.opus", seconds=2, title="Hello", artist="Adele")
    (homes / "alice" / "to-etc").symlink_to("/etc")  # a link out of her library
    (homes / "alice" / "to-bob").symlink_to(homes / "bob")  # and into another user's
    roots = LibrarySettings(roots=(str(shared),), user_roots=(str(homes / "{user}"),))
    async with running_installation(nats_url, namespace, library_roots=roots) as installation:
        async with installation.client(timeout=20) as admin:
            for person in (ALICE, BOB):
                made = await admin.post("/api/v1/users", json=person)
                assert made.status_code == 201, made.text
        async with httpx.AsyncClient(base_url=installation.base_url, timeout=20) as alice:
            await sign_in(alice, ALICE)
            refused_folders = [
                "/root",
                "/",
                "/etc",
                "/no/such/folder",  # refused exactly like one that exists
                str(homes / "bob"),
                str(homes / "alice" / ".." / "bob"),
                str(homes / "alice" / "to-etc"),
                str(homes / "alice" / "to-bob"),
                str(homes),
                str(tmp_path),
            ]
            answers = []
            for folder in refused_folders:
                answer = await alice.post(
                    "/api/v1/runs/missing-tracks", json={"folder": folder, "tracks": SONG}
                )
                assert answer.status_code == 400, (folder, answer.text)
                answers.append((answer.json()["detail"], answer.json().get("errors")))
            assert {detail for detail, _ in answers} == {REFUSED}
            assert len(set(map(str, answers))) == 1  # nothing tells one refusal from another
            assert await installation.store.keys("runs") == []

            run_ids: list[str] = []
            for folder, present in ((shared, 1), (homes / "alice", 0)):
                answer = await alice.post(
                    "/api/v1/runs/missing-tracks", json={"folder": str(folder), "tracks": SONG}
                )
                assert answer.status_code == 202, answer.text
                run_ids.append(answer.json()["run_id"])
                run = await wait_for_run(alice, run_ids[-1])
                assert run["status"] == "completed", run
                assert run["summary"]["present"] == present
                # The report names paths from the library's root down, not the server's.
                assert run["folder"] == folder.name
                assert str(tmp_path) not in json.dumps(run)
            (found,) = (await alice.get(f"/api/v1/runs/{run_ids[0]}")).json()["present"]
            assert found["best_candidate"]["provider_id"] == "shared/Adele/Hello.opus"
