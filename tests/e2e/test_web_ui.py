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
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest
from playwright.sync_api import expect

from services.gateway.ui.pages import NAVIGATION
from tests.e2e.conftest import Started, ready_line
from tests.emulators.deezer import TOKEN as DEEZER_TOKEN
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.browser import CHROMIUM, NO_CHROMIUM, chromium
from tests.support.catalogues import Recording, shared_recordings
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN

if not Path(CHROMIUM).exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("TUNEBRIDGE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour (a cover, as an image host would send one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


COVER_PNG = _png(64, 64, (200, 90, 40))

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
    doubtful["duration"] += 8
    doubtful["title"] += " (Extended)"
    # Song 0 has no cover on Spotify: the plan shows a placeholder in its place.
    spotify.catalogue[songs[0].spotify_uri]["album"]["images"] = []
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
                # Plain downloads land inside the library roots (the test's own folder).
                "TUNEBRIDGE_DOWNLOADER__DOWNLOADS_DIR": str(music_dir.parent / "downloads"),
                # A media server on loopback, as one at home would be.
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        yield World(url, spotify, deezer, songs, music_dir, log)


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


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
    # Spotify's image host, as the internet would answer (the recorded tracks' covers).
    context.route(
        "https://i.scdn.co/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=COVER_PNG),
    )

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
    deezer = page.get_by_role("region", name="Deezer")
    deezer.get_by_label("Access token").fill(DEEZER_TOKEN)
    deezer.get_by_role("button", name="Connect Deezer").click()
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
    expect(plan.locator("tbody tr:not(.changes-row)")).to_have_count(1)
    # One way: only what changes on Deezer, no always-empty Spotify or conflict columns.
    expect(plan.locator("thead th")).to_have_text(
        [
            "Playlist",
            re.compile("^Add to Deezer"),
            re.compile("^Remove from Deezer"),
            "Missing from your library",
        ]
    )
    expect(plan.locator("tbody td").nth(1)).to_contain_text(str(len(wanted)))
    expect(page.locator("#plan")).to_contain_text("waiting for your review")
    assert world.deezer.playlists == {}
    # The source playlist opens on Spotify; the Deezer one is not made yet.
    expect(plan.get_by_role("link", name="open on Spotify")).to_have_attribute(
        "href", re.compile(r"^https://open\.spotify\.com/playlist/\w+$")
    )
    expect(plan.get_by_role("link", name="open on Deezer")).to_have_count(0)
    # The tracks Deezer's playlist gains, each with its cover (Spotify's), loaded; the one
    # without a cover shows the placeholder.
    gained = plan.locator('[data-change="add_to_b"] .changed-track')
    expect(gained).to_have_count(len(wanted))
    expect(gained.locator(".name")).to_have_text(
        [s.title for i, s in enumerate(world.songs) if i != 3]
    )
    covers = gained.locator(".art img")
    expect(covers).to_have_count(len(wanted) - 1)
    expect(gained.first.locator(".art")).to_be_visible()
    expect(gained.first.locator(".art img")).to_have_count(0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.changed-track img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert all(
        src.startswith("https://i.scdn.co/")
        for src in covers.evaluate_all("l => l.map(i => i.src)")
    )
    visit(page, shots, "08-plan")
    # Each pair offers its tracks missing from the library, as the library page does.
    plan.get_by_role("button", name="Download missing tracks").click()
    modal = page.get_by_role("dialog")
    expect(modal.get_by_role("heading")).to_have_text(f"Download missing tracks: {HOSTILE_NAME}")
    expect(modal.get_by_role("button", name="Begin")).to_be_visible()
    visit(page, shots, "08b-plan-missing-tracks")
    modal.get_by_role("button", name="Close", exact=True).last.click()
    expect(modal).to_be_hidden()

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
    (made,) = world.deezer.playlists
    expect(page.get_by_role("link", name="open on Deezer")).to_have_attribute(
        "href", f"https://www.deezer.com/playlist/{made}"
    )
    expect(page.locator("#report")).to_contain_text("waiting for your review")
    shifted = page.evaluate("window.shifted")
    print(f"layout shift on the run page while it ran: {shifted:.4f}")  # shown with -s
    assert shifted < 0.1  # the "good" threshold of cumulative layout shift
    # The run's own page keeps the tracks it changed folded, under the pair.
    run_tracks = page.locator("#changes details")
    expect(run_tracks).not_to_have_attribute("open", "")
    run_tracks.locator("summary").click()
    expect(run_tracks.locator('[data-change="add_to_b"] .changed-track')).to_have_count(len(wanted))
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
    # Looked up in the person's own catalogs, theirs first, then the public ones.
    catalogs = modal.get_by_label("Look up in")
    expect(catalogs.locator("option")).to_have_text(
        [re.compile("^Spotify · "), re.compile("^Deezer · "), "YouTube Music"]
    )
    catalogs.select_option(modal.locator("option", has_text="Deezer").get_attribute("value"))
    expect(choices.first.locator(".name")).to_have_text("Massive Attack")
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


@pytest.fixture
def ytmusic_up(start_up: Callable[[dict[str, str]], Started]) -> Iterator[tuple[str, Any]]:
    from tests.emulators.ytmusic import sample_state, ytmusic_app

    state = sample_state(20)
    with serving_in_thread({"ytmusic": ytmusic_app(state)}) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_YTMUSIC__API_URL": urls["ytmusic"],
                "TUNEBRIDGE_YTMUSIC__OAUTH_URL": urls["ytmusic"],
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        yield url, state


def test_youtube_music_connects_with_pasted_headers_or_a_device_code(
    ytmusic_up: tuple[str, Any], browser: Any, shots: Path
) -> None:
    from tests.emulators.ytmusic import CLIENT_ID, CLIENT_SECRET, COOKIE, example_headers

    url, state = ytmusic_up
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.get_by_label("User name").fill(ADMIN["username"])
    page.get_by_label("Password (10 characters at least)").fill(ADMIN["password"])
    page.get_by_label("Password again").fill(ADMIN["password"])
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/connections$"))

    card = page.locator("section", has=page.get_by_role("heading", name="YouTube Music"))
    card.get_by_text("How to copy the request headers").click()
    expect(card.get_by_text("Copy Request Headers")).to_be_visible()
    pasted = card.get_by_label("Request headers of a signed-in YouTube Music tab")
    pasted.fill("Accept: */*")  # not the headers of a signed-in request: told why
    card.get_by_role("button", name="Connect YouTube Music").click()
    expect(card.get_by_role("alert")).to_contain_text("X-Goog-AuthUser")
    pasted.fill(example_headers())
    card.get_by_role("button", name="Connect YouTube Music").click()
    connections = page.locator("#connections li")
    expect(connections).to_have_count(1)
    expect(connections.nth(0)).to_contain_text("YouTube Music · Emulated Listener")
    assert COOKIE not in page.content()
    visit(page, shots, "20-ytmusic-headers")
    # Fresh headers go into the same connection (its jobs keep working).
    connections.nth(0).get_by_role("button", name="Paste new headers").click()
    pasted.fill(example_headers())
    card.get_by_role("button", name=re.compile("Re-authorise YouTube Music")).click()
    expect(card.get_by_role("button", name="Connect YouTube Music")).to_be_visible()
    expect(pasted).to_have_value("")
    expect(connections).to_have_count(1)

    # The same account through Google's device flow, with the person's own TV client.
    card.get_by_text("Or sign in with your own Google client").click()
    card.get_by_label("Client ID of your own OAuth client").fill(CLIENT_ID)
    card.get_by_label("Client secret").fill(CLIENT_SECRET)
    card.get_by_role("button", name="Get a sign-in code").click()
    status = card.locator(".device-code")
    expect(status).to_contain_text("https://www.google.com/device")
    code = status.locator("strong").inner_text()
    visit(page, shots, "21-ytmusic-device-code")
    state.approve(code)
    expect(connections).to_have_count(2)
    expect(status).to_be_hidden()

    # Google withdraws that sign-in: the connection says so, and is signed in again in place.
    listed = context.request.get("/api/v1/connections").json()
    google = listed[1]["connection_id"]
    state.revoke()
    assert context.request.get(f"/api/v1/connections/{google}/playlists").status == 409
    page.reload()
    withdrawn = connections.filter(has_text="needs reauthorisation")
    expect(withdrawn).to_have_count(1)
    expect(withdrawn.locator("p.muted").first).to_contain_text("Google no longer accepts")
    withdrawn.get_by_role("button", name="Sign in again with Google").click()
    card.get_by_label("Client ID of your own OAuth client").fill(CLIENT_ID)
    card.get_by_label("Client secret").fill(CLIENT_SECRET)
    card.get_by_role("button", name=re.compile("Get a sign-in code for YouTube Music")).click()
    expect(status).to_contain_text("https://www.google.com/device")
    visit(page, shots, "22-ytmusic-sign-in-again")
    state.approve(status.locator("strong").inner_text())
    expect(status).to_be_hidden()
    expect(connections.filter(has_text="needs reauthorisation")).to_have_count(0)
    expect(connections).to_have_count(2)
    again = context.request.get("/api/v1/connections").json()
    assert [c["connection_id"] for c in again] == [c["connection_id"] for c in listed]
    assert {c["status"] for c in again} == {"connected"}
    expect(card.get_by_role("button", name="Get a sign-in code", exact=True)).to_be_visible()
    assert errors == []


@dataclass
class OwnApp:
    """``tunebridge up`` with no Spotify app of its own: each person brings theirs."""

    url: str
    spotify: SpotifyState
    deezer: DeezerState


@pytest.fixture
def own_app(start_up: Callable[[dict[str, str]], Started]) -> Iterator[OwnApp]:
    spotify, deezer = SpotifyState(), DeezerState()
    songs = shared_recordings(spotify, deezer, 3)
    spotify.new_playlist("Mine", [s.spotify_uri for s in songs])
    # A playlist the person follows: Spotify does not let the app read its tracks.
    spotify.new_playlist("Someone's mix", [songs[0].spotify_uri], owner="someone-else")
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer)}
    with serving_in_thread(apps) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_DEEZER__CALLS_PER_5S": "2000",
            }
        )
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        yield OwnApp(url, spotify, deezer)


def fits(page: Any, selector: str = "body") -> list[str]:
    """The elements matching ``selector`` whose content is wider than their box."""
    return list(
        page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => e.id || e.getAttribute('aria-labelledby') || e.tagName)""",
            selector,
        )
    )


def test_the_small_things_a_person_ran_into(own_app: OwnApp, browser: Any, shots: Path) -> None:
    context = browser.new_context(base_url=own_app.url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.get_by_label("User name").fill(ADMIN["username"])
    page.get_by_label("Password (10 characters at least)").fill(ADMIN["password"])
    page.get_by_label("Password again").fill(ADMIN["password"])
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/connections$"))

    # No app in this installation: the client id is asked for, not "optional", and the
    # own-app card keeps its long redirect address inside its box.
    card = page.locator("section", has=page.get_by_role("heading", name="Spotify"))
    card.get_by_text("Use your own Spotify app").click()
    field = card.get_by_label(re.compile("^Client ID of your own app"))
    expect(card).not_to_contain_text("optional")
    assert fits(page, "section.card, main") == []
    card.get_by_role("button", name="Connect Spotify").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    visit(page, shots, "22-own-spotify-app")
    field.fill(own_app.spotify.client_id)
    card.get_by_role("button", name="Connect Spotify").click()
    page.get_by_role("link", name="Agree").click()
    expect(page).to_have_url(re.compile(r"/connections\?connected="))
    # Re-authorised through the same app, into the same connection.
    page.locator("#connections li").first.get_by_role("button", name="Re-authorise").click()
    expect(page).to_have_title(re.compile("allow access"))
    page.get_by_role("link", name="Agree").click()
    expect(page).to_have_url(re.compile(r"/connections\?connected="))
    deezer = page.get_by_role("region", name="Deezer")
    deezer.get_by_label("Access token").fill(DEEZER_TOKEN)
    deezer.get_by_role("button", name="Connect Deezer").click()
    expect(page.locator("#connections li")).to_have_count(2)
    # The list is loaded as the page opens and again after a connect: should the first
    # answer come last (seen once in CI: one connection shown of two), the later stays.
    shown = page.evaluate(
        """async () => {
          const { fill } = await import("/ui/static/app.js");
          const target = document.createElement("div");
          const late = (text) => new Promise((done) => setTimeout(() => done(text), 300));
          const first = fill(target, () => late("before"));
          await Promise.all([first, fill(target, async () => "after")]);
          return target.textContent;
        }"""
    )
    assert shown == "after"
    # A dialog closed is gone at once, not a moment later with its fields (seen in CI: a
    # closed artist chooser's "Search for an artist" made "Search for" two fields).
    lingering = page.evaluate(
        """async () => {
          const { dialog } = await import("/ui/static/app.js");
          dialog("Who is the artist?").close();
          return document.querySelectorAll("dialog").length;
        }"""
    )
    assert lingering == 0

    # A followed playlist says why it may not be read and how to copy it.
    open_page(page, "/jobs/new")
    page.get_by_label("Name").fill("Mine to Deezer")
    followed = page.locator("li", has_text="Someone's mix")
    followed.get_by_text("Made by someone else").click()
    expect(followed).to_contain_text("Add to playlist → New playlist")
    page.get_by_role("checkbox", name=re.compile("^Mine")).check()
    visit(page, shots, "23-job-editor-followed")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}\?saved=1$"))
    page.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    # What the run says while it goes: counts of playlists, tracks and confirmed writes.
    page.locator("#live .detail").wait_for(state="attached")
    page.evaluate(
        """() => { window.details = []; const d = document.querySelector('#live .detail');
            new MutationObserver(() => window.details.push(d.textContent))
                .observe(d, {childList: true, characterData: true, subtree: true}); }"""
    )
    expect(page.locator("#live .badge")).to_have_text("completed", timeout=120_000)
    details = [d for d in page.evaluate("window.details") if d.strip()]
    print("live detail of the run:", details)  # shown with -s
    now = r"( · now “Mine” on (Spotify|Deezer))?"
    live = re.compile(
        rf"Read \d+( of \d+)? playlists? \(\d+ tracks?\){now}|Matching the \d+ tracks? read"
        r"|Matched \d+ of \d+ new tracks"
        rf"|“Mine” on Deezer: \d+ of \d+ (writes confirmed|tracks written){now}"
    )
    # A quick run may end before the observer sees a change; what it did see is plain words.
    assert all(live.fullmatch(d) for d in details), details
    run_path = page.url.removeprefix(own_app.url)

    # A new schedule says when it next runs at once.
    open_page(page, "/schedules")
    page.get_by_label("Every (hours)").fill("6")
    page.get_by_role("button", name="Add the schedule").click()
    expect(page.locator("#schedules li time")).to_have_count(1)
    expect(page.locator("#schedules li").first).to_contain_text(re.compile(r"Next: \S"))

    # Every value shown once has a copy button that copies it.
    open_page(page, "/tokens")
    page.get_by_label("Name").fill("Admin script")
    page.get_by_label("Manage users").check()
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("[data-token]").inner_text()
    page.locator("#made").get_by_role("button", name="Copy").click()
    expect(page.locator("#made").get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    visit(page, shots, "24-token-copy")
    open_page(page, "/webhooks")
    page.get_by_label("Sender").select_option("generic")
    page.get_by_label("Mine to Deezer").check()
    page.get_by_role("button", name="Make the webhook").click()
    expect(page.locator("#made").get_by_role("button", name="Copy")).to_have_count(2)
    page.locator("#made").get_by_role("button", name="Copy").first.click()
    assert "/api/v1/hooks/" in page.evaluate("navigator.clipboard.readText()")

    # TOTP: the QR code, drawn on the server, and the key to copy.
    open_page(page, "/settings")
    page.get_by_role("button", name="Turn it on").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 50
    expect(page.locator("#totp").get_by_role("button", name="Copy")).to_be_visible()
    # The only administrator is not offered to remove themselves, and the API says why.
    expect(page.locator("#users li")).to_have_count(1)
    expect(page.locator("#users").get_by_role("button", name="Remove")).to_have_count(0)
    visit(page, shots, "25-settings-totp-qr")
    with httpx.Client(base_url=own_app.url, headers={"Authorization": f"Bearer {token}"}) as api:
        me = api.get("/api/v1/me").json()
        refused = api.delete(f"/api/v1/users/{me['user_id']}")
    assert refused.status_code == 409
    assert "only administrator" in refused.json()["detail"]

    # The run report fits a phone.
    phone = browser.new_context(
        base_url=own_app.url,
        viewport={"width": 390, "height": 844},
        storage_state=context.storage_state(),
        is_mobile=True,
    )
    small = phone.new_page()
    small.on("pageerror", lambda error: errors.append(str(error)))
    open_page(small, run_path)
    expect(small.locator("#live .badge")).to_have_text("completed")
    width = small.evaluate("document.documentElement.scrollWidth")
    wide = small.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.table-wrap'))
            .map(e => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    assert width <= 390, f"the run report is {width}px wide on a 390px phone: {wide}"
    visit(small, shots, "26-phone-run-report")
    assert errors == []


#: What a person must never read: our step names and side letters, event names, and the
#: providers' endpoints or their key names ("ytmusic" is "YouTube Music" to people).
CODE_WORDS = re.compile(
    r"\b\d+\.[ab]\b|\bside [ab]\b|\b[a-z]+_(requested|found|written)\b|\bproviders\.[a-z_]+"
    r"|\b(read|write|sync) step\b|/v1/(me|playlists|users|tracks|search)\b|/playlist/\d"
    r"|\bytmusic\b|\bYtmusic\b|\bapplemusic\b|\bOAuthError\b|Traceback",
)


def test_every_page_and_run_answer_speaks_plain_words(
    own_app: OwnApp, browser: Any, shots: Path
) -> None:
    context = browser.new_context(base_url=own_app.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("User name").fill(ADMIN["username"])
    page.get_by_label("Password (10 characters at least)").fill(ADMIN["password"])
    page.get_by_label("Password again").fill(ADMIN["password"])
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/connections$"))
    open_page(page, "/tokens")
    page.get_by_label("Name").fill("Checks")
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("[data-token]").inner_text()
    open_page(page, "/connections")
    card = page.locator("section", has=page.get_by_role("heading", name="Spotify"))
    card.get_by_label(re.compile("^Client ID of your own app")).fill(own_app.spotify.client_id)
    card.get_by_role("button", name="Connect Spotify").click()
    page.get_by_role("link", name="Agree").click()
    expect(page).to_have_url(re.compile(r"/connections\?connected="))
    deezer = page.get_by_role("region", name="Deezer")
    deezer.get_by_label("Access token").fill(DEEZER_TOKEN)
    deezer.get_by_role("button", name="Connect Deezer").click()
    expect(page.locator("#connections li")).to_have_count(2)

    # Three runs that end badly in different ways: a playlist that cannot be read, a
    # service that refuses its token, and one that goes well for the record.
    names = {p["name"]: i for i, p in own_app.spotify.playlists.items()}
    answers: list[str] = []
    with httpx.Client(
        base_url=f"{own_app.url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        spotify, deezer_id = (c["connection_id"] for c in api.get("/connections").json())

        def run(playlist: str) -> dict[str, Any]:
            job = api.post(
                "/sync/jobs",
                json={
                    "name": f"{playlist} to Deezer",
                    "a_connection_id": spotify,
                    "b_connection_id": deezer_id,
                    "playlists": [{"a_playlist_id": names[playlist]}],
                },
            )
            assert job.status_code == 201, job.text
            started = api.post(f"/sync/jobs/{job.json()['job_id']}/runs", json={})
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]
            for _ in range(240):
                view = api.get(f"/sync/runs/{run_id}").json()
                if view["status"] in ("completed", "partial", "failed", "cancelled"):
                    answers.append(httpx.Response(200, json=view).text)
                    return view
                page.wait_for_timeout(500)
            raise AssertionError(f"run {run_id} did not end")

        assert run("Mine")["status"] == "completed"
        assert run("Someone's mix")["status"] in ("partial", "failed")
        own_app.deezer.tokens.clear()  # Deezer now refuses the token
        refused = run("Mine")
        assert refused["status"] == "failed"
        answers.append(api.post("/sync/jobs", json={"name": "x"}).text)  # an error answer

    # Every page as a person reads it, and every answer about those runs.
    shown: dict[str, str] = {}
    for path in ["/", *[f"/{n}" for n in NAVIGATION if n != "dashboard"], "/jobs/new"]:
        open_page(page, path)
        shown[path] = page.locator("body").inner_text()
    open_page(page, "/")
    run_links = [a.get_attribute("href") for a in page.locator("a[href^='/runs/']").all()]
    assert len(run_links) >= 3, run_links
    for href in run_links:
        open_page(page, href)
        expect(page.locator("#live .badge")).not_to_have_text("running")
        shown[href] = page.locator("body").inner_text()
        if href == run_links[0]:  # the newest: Deezer refused its token
            visit(page, shots, "27-run-refused-plain-words")
    refusal = shown[run_links[0]]
    assert "Deezer refused the connection's token; connect the account again" in refusal
    assert "Nothing was synced: the run failed before its plan was made." in refusal
    # And each of those pages on a phone: nothing wider than the screen.
    phone = browser.new_context(
        base_url=own_app.url,
        viewport={"width": 390, "height": 844},
        storage_state=context.storage_state(),
        is_mobile=True,
    )
    small = phone.new_page()
    widths = {}
    for path in shown:
        open_page(small, path)
        widths[path] = small.evaluate("document.documentElement.scrollWidth")
    assert {path: w for path, w in widths.items() if w > 390} == {}
    # A pair's link to its playlist on the service's own player (a_url, b_url) is an
    # address for the person to open, not an endpoint's name.
    answers = [re.sub(r'"[ab]_url":"https://[^"]*"', "", a) for a in answers]
    said = {**shown, **{f"answer {i}": a for i, a in enumerate(answers)}}
    found = {where: [m.group(0) for m in CODE_WORDS.finditer(text)] for where, text in said.items()}
    assert {where: words for where, words in found.items() if words} == {}
    assert any("Deezer" in text for text in shown.values())


def sign_in(browser: Any, url: str, errors: list[str], first: bool = False) -> Any:
    """A new browser window of the administrator, signed in (the account made if
    ``first``); its script errors go to ``errors``."""
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    if first:
        page.get_by_label("User name").fill(ADMIN["username"])
        page.get_by_label("Password (10 characters at least)").fill(ADMIN["password"])
        page.get_by_label("Password again").fill(ADMIN["password"])
        page.get_by_role("button", name="Create the account").click()
        expect(page).to_have_url(re.compile(r"/connections$"))
    else:
        page.get_by_label("User name").fill(ADMIN["username"])
        page.get_by_label("Password").fill(ADMIN["password"])
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/$"))
    return page


def open_missing_tracks(page: Any, playlist: str) -> Any:
    """The missing-tracks modal of a Deezer playlist, from the Library page."""
    open_page(page, "/library")
    page.get_by_role("button", name=re.compile(playlist)).click()
    page.get_by_role("button", name="Download missing tracks").click()
    return page.get_by_role("dialog")


def test_missing_tracks_of_a_library_playlist_are_found_and_downloaded(
    world: World, browser: Any, shots: Path
) -> None:
    from tests.emulators.jellyfin import PASSWORD as JELLYFIN_PASSWORD
    from tests.emulators.jellyfin import USER_NAME as JELLYFIN_USER
    from tests.emulators.jellyfin import JellyfinState, jellyfin_app
    from tests.support.audio import make_audio

    teardrop = next(t for t in world.deezer.catalogue if t["title"] == "Teardrop")
    # A track whose only upload trickles out for a minute: it is still on its way when
    # a second browser looks, and is cancelled there.
    slow = {
        **teardrop,
        "id": 990001,
        "title": "Slow Song",
        "title_short": "Slow Song",
        "isrc": "TBXSLOW00001",
        "duration": 60,
        "artist": {**teardrop["artist"], "id": 990002, "name": "Drip"},
        "contributors": [],
    }
    # Another of Teardrop's album, which "YouTube" does not have.
    angel = {
        **teardrop,
        "id": 990003,
        "title": "Angel",
        "title_short": "Angel",
        "isrc": "TBXANGEL0001",
    }
    world.deezer.catalogue += [slow, angel]
    world.deezer.new_playlist("Mezzanine tracks", [teardrop["id"], angel["id"]])
    have = world.songs[0]
    # The library already has one of the three (by its ISRC); the others are on "YouTube".
    make_audio(
        world.music_dir / have.artist / f"{have.title}.opus",
        seconds=2,
        title=have.title,
        artist=have.artist,
        isrc=have.isrc,
    )
    world.deezer.new_playlist("For the car", [teardrop["id"], have.deezer_id, slow["id"]])
    errors: list[str] = []
    page = sign_in(browser, world.url, errors, first=True)
    deezer = page.get_by_role("region", name="Deezer")
    deezer.get_by_label("Access token").fill(DEEZER_TOKEN)
    deezer.get_by_role("button", name="Connect Deezer").click()
    expect(page.locator("#connections li")).to_have_count(1)

    modal = open_missing_tracks(page, "For the car")
    modal.get_by_label("Your music folder (on the server)").fill(str(world.music_dir))
    modal.get_by_role("button", name="Begin").click()
    # Closed while it works: a bubble stays, and brings the same modal back.
    modal.get_by_role("button", name="Close", exact=True).last.click()
    bubble = page.locator("button.bubble")
    expect(bubble).to_be_visible()
    expect(bubble).to_contain_text(re.compile(r"Missing tracks: (checking|\d+ of \d+)"))
    # The run is the server's: after a reload the bubble is back, and opens the same run.
    page.reload()
    expect(bubble).to_be_visible()
    bubble.click()
    modal = page.get_by_role("dialog")
    counters = modal.locator(".counters .stat")
    expect(counters).to_have_text(["3", "1", "2"], timeout=90_000)
    expect(modal.get_by_role("progressbar", name="Library check")).to_have_attribute(
        "aria-valuenow", "100"
    )
    rows = modal.locator("tbody tr")
    expect(rows.filter(has_text=have.title).locator("td").nth(1)).to_have_text("yes")
    expect(rows.filter(has_text="Teardrop").locator("td").nth(1)).to_have_text("no")
    expect(rows.filter(has_text="Teardrop").locator("td").nth(2)).to_have_text(
        "yes", timeout=120_000
    )
    modal.get_by_role("button", name="Close", exact=True).last.click()
    expect(bubble).to_contain_text("Missing tracks: 1 of 2")

    # Another browser of the same person shows the same run, and can stop what is left.
    elsewhere = sign_in(browser, world.url, errors)
    open_page(elsewhere, "/library")
    other_bubble = elsewhere.locator("button.bubble")
    expect(other_bubble).to_contain_text("Missing tracks: 1 of 2", timeout=20_000)
    other_bubble.click()
    other = elsewhere.get_by_role("dialog")
    expect(other.get_by_role("heading")).to_have_text("Download missing tracks: For the car")
    expect(other.locator(".counters .stat")).to_have_text(["3", "1", "2"])
    slow_row = other.locator("tbody tr", has_text="Slow Song")
    expect(slow_row.locator("td").nth(2)).to_contain_text("downloading", timeout=60_000)
    visit(elsewhere, shots, "28-missing-tracks-modal")
    other.get_by_role("button", name="Cancel").click()
    expect(slow_row.locator("td").nth(2)).to_contain_text("no:", timeout=60_000)
    expect(other.get_by_role("progressbar", name="Downloads")).to_have_attribute(
        "aria-valuenow", "100"
    )
    expect(other).to_contain_text("Downloaded 1 of 2.")
    # The first browser heard it end on its own stream: its bubble goes, a toast says so.
    expect(bubble).to_be_hidden(timeout=30_000)
    expect(page.locator(".toast")).to_contain_text("Missing tracks of “For the car”")
    landed = [p for p in world.music_dir.rglob("*") if p.is_file() and "Teardrop" in p.name]
    assert len(landed) == 1, list(world.music_dir.rglob("*"))
    assert not [p for p in world.music_dir.rglob("*") if "Slow Song" in p.name]

    # A media server as the library, which then refuses Tunebridge's sign-in: every track
    # counts as missing from it, and the modal says why, naming it as people do.
    jellyfin = JellyfinState()
    with serving_in_thread({"jellyfin": jellyfin_app(jellyfin)}) as urls:
        csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
        made = page.request.post(
            "/api/v1/connections",
            data={
                "provider": "jellyfin",
                "server_url": urls["jellyfin"],
                "username": JELLYFIN_USER,
                "password": JELLYFIN_PASSWORD,
            },
            headers={"x-csrf-token": csrf},
        )
        assert made.status == 201, made.text()
        jellyfin.sessions.clear()  # the server forgot the sign-in
        modal = open_missing_tracks(page, "For the car")
        server = modal.locator("option", has_text="Jellyfin").get_attribute("value")
        modal.get_by_label("Your library").select_option(server)
        expect(modal.get_by_label("Your music folder (on the server)")).to_be_hidden()
        modal.get_by_role("button", name="Begin").click()
        alert = modal.get_by_role("alert")
        expect(alert).to_contain_text(re.compile(r"^Jellyfin could not be read"), timeout=60_000)
        expect(alert).to_contain_text("every track counts as missing from it")
        expect(modal.locator(".counters .stat")).to_have_text(["3", "0", "3"])
        visit(page, shots, "29-missing-tracks-server-unread")
        said = modal.inner_text()
        assert [m.group(0) for m in CODE_WORDS.finditer(said)] == [] and "jellyfin" not in said
        modal.get_by_role("button", name="Cancel").click()
        expect(modal.get_by_role("progressbar", name="Downloads")).to_have_attribute(
            "aria-valuenow", "100", timeout=120_000
        )

    # Every track shown offers Download and Matched download; an album, a matched album
    # download of its tracks under the artist chosen.
    open_page(page, "/library")
    page.get_by_role("button", name=re.compile("For the car")).click()
    row = page.locator("#tracks tbody tr", has_text="Teardrop")
    row.get_by_role("button", name="Matched download").click()
    chooser = page.get_by_role("dialog")
    expect(chooser.locator("button.artist").first.locator(".name")).to_have_text("Massive Attack")
    visit(page, shots, "30-library-matched-download")
    chooser.locator("button.artist").first.click()
    expect(chooser).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text("Queued “Teardrop” by Massive Attack")
    page.get_by_role("button", name=re.compile("Mezzanine tracks")).click()
    row = page.locator("#tracks tbody tr", has_text="Teardrop")
    row.get_by_role("button", name="Matched album download").click()
    chooser = page.get_by_role("dialog")
    expect(chooser).to_contain_text("For “Mezzanine”")
    chooser.locator("button.artist", has_text="Massive Attack").first.click()
    expect(chooser).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text("Queued 2 tracks of “Mezzanine”")
    # The queue, live on one stream: how far each download is (and, once known, its source).
    open_page(page, "/downloads")
    page.get_by_label("Title").fill("Drip - Slow Song")
    page.get_by_role("button", name="Find the artist…").click()
    page.get_by_role("dialog").get_by_role("button", name="Download without matching").click()
    # "4.2 MB of 9.8 MB · 1.1 MB/s · from YouTube", in plain words.
    on_its_way = page.locator("[data-download] .where", has_text=" of ")
    expect(on_its_way.first).to_contain_text(
        re.compile(r"^[\d.]+ k?M?B of [\d.]+ k?M?B · .*from YouTube$"), timeout=60_000
    )
    visit(page, shots, "31-downloads-live")
    slow_one = page.locator("[data-download]", has_text="Drip - Slow Song").first  # newest
    slow_one.get_by_role("button", name="Cancel").click()
    expect(slow_one.locator(".badge")).to_have_text("cancelled", timeout=60_000)

    # On a phone: a playlist's tracks with their buttons, and the modal, fit the screen.
    phone = browser.new_context(
        base_url=world.url,
        viewport={"width": 390, "height": 844},
        storage_state=page.context.storage_state(),
        is_mobile=True,
    )
    small = phone.new_page()
    small.on("pageerror", lambda error: errors.append(str(error)))
    modal = open_missing_tracks(small, "For the car")
    expect(modal.get_by_role("button", name="Begin")).to_be_visible()
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the library is {width}px wide on a 390px phone"
    visit(small, shots, "32-phone-missing-tracks")
    assert errors == []


def test_a_person_moves_a_whole_library_and_keeps_the_report(
    world: World, browser: Any, shots: Path
) -> None:
    from tests.support.catalogues import shared_albums, shared_artists

    albums = shared_albums(world.spotify, world.deezer, 4)
    world.spotify.saved_albums += [a.spotify_id for a in albums]  # and the recorded one
    artists = shared_artists(world.spotify, world.deezer, 3)
    world.spotify.followed = [a.spotify_id for a in artists]
    world.spotify.library = [s.spotify_uri for s in world.songs[:3]]
    errors: list[str] = []
    page = sign_in(browser, world.url, errors, first=True)
    page.get_by_role("button", name="Connect Spotify").click()
    page.get_by_role("link", name="Agree").click()
    expect(page).to_have_url(re.compile(r"/connections\?connected="))
    deezer = page.get_by_role("region", name="Deezer")
    deezer.get_by_label("Access token").fill(DEEZER_TOKEN)
    deezer.get_by_role("button", name="Connect Deezer").click()
    expect(page.locator("#connections li")).to_have_count(2)

    open_page(page, "/moves")
    expect(page.get_by_label("Move from")).to_contain_text("Spotify")
    expect(page.get_by_label("Move to")).to_have_value(re.compile("[0-9a-f]{32}"))
    visit(page, shots, "40-move-form")

    # The preview: counts per kind, nothing written.
    page.get_by_role("button", name="Preview the move").click()
    kinds = page.locator("table.kinds")
    expect(kinds).to_be_visible(timeout=120_000)
    expect(kinds.locator("tbody th")).to_have_text(
        ["Playlists (1)", "Liked songs", "Saved albums", "Followed artists"]
    )
    expect(kinds.locator("thead th").nth(2)).to_have_text("To move")
    albums_row = kinds.locator("tbody tr").nth(2).locator("td")
    expect(albums_row).to_have_text(["5", "4", "0", "1"])  # She's So Unusual is not on Deezer
    expect(page.locator("#result")).to_contain_text("Would not be moved")
    assert world.deezer.playlists == {} and world.deezer.followed == []
    visit(page, shots, "41-move-preview")

    # The move: live progress, then the report of what did not make it, and what to do.
    page.get_by_role("button", name="Move now").click()
    expect(page.locator("#h-result")).to_have_text("The move")
    expect(page.locator("#live .badge")).to_have_text("completed", timeout=120_000)
    expect(kinds.locator("thead th").nth(2)).to_have_text("Moved")
    left = page.locator("table.not-moved tbody tr")
    expect(left.filter(has_text="She's So Unusual")).to_contain_text("no match found on Deezer")
    # Deezer knows song 3 only as a longer edit under another ISRC: not taken for it.
    expect(left.filter(has_text=world.songs[3].title).locator("td")).to_have_text(
        [
            "track",
            HOSTILE_NAME,
            re.compile(world.songs[3].title),
            "no match found on Deezer",
            "search",
        ]
    )
    (copy,) = world.deezer.playlists.values()
    assert copy == [s.deezer_id for i, s in enumerate(world.songs) if i != 3]
    assert sorted(world.deezer.followed) == sorted(a.deezer_id for a in artists)
    assert set(world.deezer.saved_albums) >= {a.deezer_id for a in albums}
    assert sorted(world.deezer.liked) == sorted(s.deezer_id for s in world.songs[:3])
    visit(page, shots, "42-move-report")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the report (CSV)").click()
    sheet = Path(downloading.value.path()).read_text()
    assert sheet.startswith("kind,item,collection,title,artists,status,reason,action")
    assert "She's So Unusual" in sheet and "no match found on Deezer" in sheet

    # Both ways from now on, with the same pairs.
    page.get_by_role("button", name="Keep both services in step").click()
    expect(page.locator("#result")).to_contain_text("From now on changes on either service")
    visit(page, shots, "43-move-both-ways")
    page.locator("#result").get_by_role("link", name=re.compile("in step")).click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    expect(page.get_by_role("radio", name=re.compile("^Both ways"))).to_be_checked()
    assert errors == []
