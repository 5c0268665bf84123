"""The sync job editor's choice of quality profile, in a real browser (Debian's Chromium,
driven by Playwright) against ``tunebridge up`` with the Spotify and Deezer emulators: a
person picks one of their profiles for the downloads the job's runs offer, saves, and finds
it chosen again; the job holds it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_web_ui import SHOTS, World, browser, open_page, sign_in, visit, world
from tests.support.connections import connect_both
from tests.support.users import sign_in_sync

__all__ = ["browser", "world"]  # the fixtures, shared with the web UI's tests
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
PROFILE = "FLAC, else MP3 320"


def test_a_job_holds_its_downloads_to_the_profile_chosen_in_the_editor(
    world: World, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    api = httpx.Client(base_url=world.url, timeout=10)
    sign_in_sync(api)
    connect_both(api, world.spotify)
    made = api.put(
        "/api/v1/quality-profiles", json={"name": PROFILE, "targets": ["flac", "mp3:320"]}
    )
    assert made.status_code in (200, 201), made.text
    errors: list[str] = []
    page = sign_in(browser, world.url, errors)
    open_page(page, "/jobs/new")
    page.get_by_label("Name").fill("Car")
    page.get_by_role("checkbox", name=re.compile("^Road trip")).check()
    page.get_by_text("Options", exact=True).click()
    choice = page.get_by_label("Quality of the downloads this job offers")
    expect(choice.locator("option")).to_have_text(["As configured", PROFILE])
    choice.select_option(PROFILE)
    visit(page, shots=SHOTS, name="37-job-quality-profile")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}\?saved=1$"))
    job_id = page.url.rsplit("/", 1)[1].split("?")[0]
    assert api.get(f"/api/v1/sync/jobs/{job_id}").json()["quality_profile"] == PROFILE
    # Opened again, the editor shows it chosen; "As configured" takes it off.
    open_page(page, f"/jobs/{job_id}")
    page.get_by_text("Options", exact=True).click()
    expect(choice).to_have_value(PROFILE)
    choice.select_option("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").last).to_be_visible()
    assert api.get(f"/api/v1/sync/jobs/{job_id}").json()["quality_profile"] is None
    assert errors == []
