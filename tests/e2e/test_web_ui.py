"""The web UI in a real browser (Debian's Chromium, driven by Playwright) against
``tunebridge up`` with the Spotify and Deezer emulators and the YouTube stand-in: a person
sets Tunebridge up, logs in, connects both accounts, makes a sync job, previews its plan,
runs it and watches it finish, decides a review item, starts a matched download and picks
the artist, and cancels a download. Each page is saved as a screenshot in
``test-artifacts/screenshots`` (``TUNEBRIDGE_TEST_ARTIFACTS`` moves it)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import Started, ready_line
from tests.emulators.deezer import TOKEN as DEEZER_TOKEN
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import Recording, shared_recordings
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN

CHROMIUM = os.environ.get("TUNEBRIDGE_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package (.ci/run does)",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("TUNEBRIDGE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
#: As the machine's own check starts it: no sandbox as root, and no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: A playlist name that would load ``/x`` (and try a script) if a page rendered it as HTML.
HOSTILE_NAME = 'Road trip <img src=x onerror="alert(1)">'


@dataclass
class World:
    """``tunebridge up`` and the services behind it, as a person's browser sees them."""

    url: str
    spotify: SpotifyState
    deezer: DeezerState
    songs: list[Recording]
    music_dir: Path
    log: Path


@pytest.fixture(scope="module")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture
def world(
    start_up: Callable[[dict[str, str]], Started], youtube: str, music_dir: Path
) -> Iterator[World]:
    spotify, deezer = SpotifyState(), DeezerState()
    songs = shared_recordings(spotify, deezer, 12)
    # Deezer knows song 3 only under another ISRC, as a longer edit: a question for a person.
    doubtful = next(t for t in deezer.catalogue if t["id"] == songs[3].deezer_id)
    doubtful["isrc"] = "TBXOTHER0001"
    doubtful["duration"] += 25
    doubtful["title"] += " (Extended)"
    spotify.new_playlist(HOSTILE_NAME, [s.spotify_uri for s in songs])
    # The stand-in's uploads are seconds long; so is Deezer's Teardrop here, or no source fits.
    next(t for t in deezer.catalogue if t["title"] == "Teardrop")["duration"] = 4
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps, latency_s=0.02) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__CLIENT_ID": spotify.client_id,
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "2000",
                "TUNEBRIDGE_DOWNLOADER__SEARCH_URLS": f"{youtube}/search.xspf?q={{query}}",
                "TUNEBRIDGE_DOWNLOADER__LIBRARY_DIR": str(music_dir),
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        yield World(url, spotify, deezer, songs, music_dir, log)


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def unlabelled(page: Any) -> list[str]:
    """Form fields a screen reader could not name (no label, no aria-label)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(f => f.type !== 'hidden' && !f.closest('[hidden]'))
                .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label'))
                .map(f => f.outerHTML)"""
        )
    )


def open_page(page: Any, path: str) -> None:
    """Goes to ``path`` and waits until the page has loaded what it shows."""
    page.goto(path)
    page.wait_for_load_state("networkidle")


def visit(page: Any, shots: Path, name: str) -> None:
    """A page as a person leaves it: every field named, no script error; a screenshot."""
    page.wait_for_load_state("networkidle")
    assert unlabelled(page) == [], name
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True, animations="disabled")


def test_a_person_sets_up_connects_syncs_reviews_and_downloads(
    world: World, browser: Any, shots: Path
) -> None:
    context = browser.new_context(base_url=world.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    fetched: list[str] = []
    context.on("request", lambda request: fetched.append(request.url))

    # First run: the installation asks for its administrator, then logs them in.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    visit(page, shots, "01-setup")
    page.get_by_label("User name").fill(ADMIN["username"])
    page.get_by_label("Password (10 characters at least)").fill(ADMIN["password"])
    page.get_by_label("Password again").fill("not the same password")
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("alert")).to_contain_text("differ")
    page.get_by_label("Password again").fill(ADMIN["password"])
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/connections$"))

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("User name").fill(ADMIN["username"])
    page.get_by_label("Password").fill("wrong password, surely")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong name or password")
    visit(page, shots, "02-login-refused")
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Nothing is connected yet.")).to_be_visible()
    visit(page, shots, "03-dashboard-empty")

    # Connect Spotify through its consent page, and Deezer with a token.
    open_page(page, "/connections")
    page.get_by_role("button", name="Connect Spotify").click()
    expect(page).to_have_title(re.compile("allow access"))
    page.get_by_role("link", name="Agree").click()
    expect(page).to_have_url(re.compile(r"/connections\?connected="))
    page.get_by_label("Access token").fill(DEEZER_TOKEN)
    page.get_by_role("button", name="Connect Deezer").click()
    connections = page.locator("#connections li")
    expect(connections).to_have_count(2)
    expect(connections.nth(0)).to_contain_text("Spotify")
    expect(connections.nth(1)).to_contain_text("Deezer")
    expect(page.locator("#connections .badge.connected")).to_have_count(2)
    visit(page, shots, "04-connections")
    assert DEEZER_TOKEN not in page.content()

    # Browse the Spotify library.
    page.get_by_role("link", name="Browse").first.click()
    page.get_by_role("button", name=re.compile("Road trip")).click()
    expect(page.locator("#tracks tbody tr")).to_have_count(len(world.songs))
    expect(page.locator("#tracks h3")).to_have_text(HOSTILE_NAME)  # shown as text, not run
    expect(page.locator("#tracks")).to_contain_text(world.songs[0].title)
    visit(page, shots, "05-library")

    # A job: the road trip playlist, Spotify to Deezer, asking about doubtful matches.
    open_page(page, "/jobs")
    visit(page, shots, "06-jobs-empty")
    page.get_by_role("link", name="New sync job").first.click()
    page.get_by_label("Name").fill("Road trip to Deezer")
    page.get_by_role("checkbox", name=re.compile("^Road trip")).check()
    page.get_by_text("Options").click()
    page.get_by_label("Ask me about a match from").fill("0.01")
    visit(page, shots, "07-job-editor")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}\?saved=1$"))
    expect(page.locator("h1")).to_have_text("Road trip to Deezer")

    # The plan first: what would change, and nothing written.
    page.get_by_role("button", name="Preview the plan").click()
    plan = page.locator("table.plan")
    expect(plan).to_be_visible(timeout=90_000)
    wanted = [s.deezer_id for i, s in enumerate(world.songs) if i != 3]
    expect(plan.locator("tbody tr")).to_have_count(1)
    expect(plan.locator("tbody td").nth(3)).to_contain_text(str(len(wanted)))
    expect(page.locator("#plan")).to_contain_text("waiting for your review")
    assert world.deezer.playlists == {}
    visit(page, shots, "08-plan")

    # Run it and watch it finish: the bar fills without moving anything on the page.
    page.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    page.evaluate(
        """() => { window.shifted = 0; new PerformanceObserver(list => {
            for (const e of list.getEntries()) if (!e.hadRecentInput) window.shifted += e.value;
        }).observe({type: 'layout-shift', buffered: false}); }"""
    )
    expect(page.locator("#live .badge")).to_have_text("completed", timeout=120_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    (copy,) = world.deezer.playlists.values()
    assert copy == wanted  # every track once, in order; the doubtful one waits
    expect(page.locator("#report")).to_contain_text("waiting for your review")
    shifted = page.evaluate("window.shifted")
    print(f"layout shift on the run page while it ran: {shifted:.4f}")  # shown with -s
    assert shifted < 0.1  # the "good" threshold of cumulative layout shift
    visit(page, shots, "09-run-report")

    # Decide the review item side by side: the extended edit is the right recording.
    page.get_by_role("link", name="decide").click()
    expect(page).to_have_url(re.compile(r"/reviews#"))
    item = page.locator("article")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(world.songs[3].title)
    expect(item.locator(".candidate").first).to_contain_text("(Extended)")
    visit(page, shots, "10-review")
    item.locator(".candidate").first.get_by_role("button", name=re.compile("^Choose")).click()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()

    # A matched download: five likely artists with their share, pick one.
    open_page(page, "/downloads")
    visit(page, shots, "11-downloads-empty")
    page.get_by_label("Title").fill("Massive Attack - Teardrop")
    page.get_by_role("button", name="Find the artist…").click()
    modal = page.get_by_role("dialog")
    expect(modal).to_be_visible()
    choices = modal.locator("button.artist")
    # The most likely artist first, and never more than five to choose from.
    expect(choices.first.locator(".name")).to_have_text("Massive Attack")
    assert choices.count() <= 5
    expect(choices.first.locator(".percent")).to_have_text(re.compile(r"^\d+%$"))
    visit(page, shots, "12-matched-download")
    modal.get_by_label("Search for an artist").fill("Massive Attack")
    modal.get_by_role("button", name="Search").click()
    expect(modal.locator(".artists[aria-busy]")).to_have_count(0)
    expect(modal.locator("button.artist", has_text="Massive Attack").first).to_be_visible()
    modal.locator("button.artist", has_text="Massive Attack").first.click()
    expect(modal).to_be_hidden()
    teardrop = page.locator("[data-download]", has_text="Teardrop")
    expect(teardrop.locator(".badge")).to_have_text("done", timeout=90_000)
    (filed,) = [p for p in world.music_dir.rglob("*") if p.is_file() and "Teardrop" in p.name]
    tags = mutagen.File(filed, easy=True)
    assert tags is not None and tags["artist"] == ["Massive Attack"]
    assert tags["title"] == ["Teardrop"]  # the catalog's record, not the upload's title
    assert filed.relative_to(world.music_dir).parts[0] == "Massive Attack"

    # A slow one, cancelled halfway: it says so, and nothing is left behind.
    page.get_by_label("Title").fill("Drip - Slow Song")
    page.get_by_role("button", name="Find the artist…").click()
    page.get_by_role("dialog").get_by_role("button", name="Download without matching").click()
    slow = page.locator("[data-download]", has_text="Slow Song")
    expect(slow.locator(".badge")).to_have_text("downloading", timeout=60_000)
    slow.get_by_role("button", name="Cancel").click()
    expect(slow.locator(".badge")).to_have_text("cancelled", timeout=60_000)
    visit(page, shots, "13-downloads")
    assert not [p for p in world.music_dir.rglob("*") if "Slow Song" in p.name]

    # The other pages: a schedule, a webhook, a token (which then works), settings.
    open_page(page, "/schedules")
    page.get_by_label("Every (hours)").fill("6")
    page.get_by_role("button", name="Add the schedule").click()
    expect(page.locator("#schedules li")).to_contain_text("every 360 min")
    visit(page, shots, "14-schedules")

    open_page(page, "/webhooks")
    page.get_by_label("Road trip to Deezer").check()
    page.get_by_role("button", name="Make the webhook").click()
    expect(page.locator("#made")).to_contain_text("/api/v1/hooks/")
    visit(page, shots, "15-webhooks")

    open_page(page, "/tokens")
    page.get_by_label("Name").fill("Backup script")
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("[data-token]").inner_text()
    with httpx.Client(base_url=world.url) as api:
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == ADMIN["username"]
    visit(page, shots, "16-tokens")

    open_page(page, "/settings")
    expect(page.locator("#health li")).to_have_count(5)
    visit(page, shots, "17-settings")
    page.get_by_role("radio", name="Dark").check()
    page.goto("/")
    expect(page.locator("#runs tbody tr")).to_have_count(2)
    expect(page.locator("#runs tbody tr").first.locator("td").last).to_have_text("1")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    visit(page, shots, "18-dashboard-dark")

    # On a phone: the menu folds away, the review and run pages still fit.
    phone = browser.new_context(
        base_url=world.url,
        viewport={"width": 390, "height": 844},
        storage_state=context.storage_state(),
        is_mobile=True,
    )
    small = phone.new_page()
    small.goto("/")
    expect(small.get_by_role("link", name="Connections")).to_be_hidden()
    small.get_by_role("button", name="Menu").click()
    expect(small.get_by_role("link", name="Connections")).to_be_visible()
    visit(small, shots, "19-phone-menu")
    open_page(small, "/downloads")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    visit(small, shots, "20-phone-downloads")
    assert errors == []
    assert not [url for url in fetched if url.endswith("/x")]  # the name stayed text
