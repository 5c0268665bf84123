"""Jellyfin connected with a user's name and password, through ``tunebridge up``: from the
web form in a browser (Playwright and the system's Chromium) and through the gateway's
API. The password is traded at once for the user's token (``/Users/AuthenticateByName``
on the Jellyfin emulator): it is neither kept, nor answered, nor logged; a wrong one is
told in words and connects nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Started, ready_line
from tests.emulators.jellyfin import PASSWORD, USER_NAME, JellyfinState, jellyfin_app
from tests.support.browser import CHROMIUM, NO_CHROMIUM, chromium
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN, sign_in_sync

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_a_jellyfin_user_logs_in_from_the_web_form_and_through_the_api(
    start_up: Callable[[dict[str, str]], Started],
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    state = JellyfinState()
    with serving_in_thread({"jellyfin": jellyfin_app(state)}) as urls:
        process, url, log = start_up({"TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1"})
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=30) as api:
            sign_in_sync(api)  # the administrator's account, made on first run

            # Through the gateway: a wrong password connects nothing, the right one does.
            body = {"provider": "jellyfin", "server_url": urls["jellyfin"], "username": USER_NAME}
            wrong = api.post("/api/v1/connections", json={**body, "password": "not it"})
            assert wrong.status_code == 400, wrong.text
            assert "not it" not in wrong.text and api.get("/api/v1/connections").json() == []
            made = api.post("/api/v1/connections", json={**body, "password": PASSWORD})
            assert made.status_code == 201, made.text
            assert PASSWORD not in made.text and len(state.sessions) == 1
            api.delete(f"/api/v1/connections/{made.json()['connection_id']}")

            # From the web form, as a person does.
            errors: list[str] = []
            with chromium() as browser:
                page: Any = browser.new_page(base_url=url)
                page.set_default_timeout(30_000)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto("/login")
                page.get_by_label("User name").fill(ADMIN["username"])
                page.get_by_label("Password").fill(ADMIN["password"])
                page.get_by_role("button", name="Log in").click()
                expect(page).to_have_url(re.compile(r"/$"))
                page.goto("/connections")
                card = page.locator("section", has=page.get_by_role("heading", name="Jellyfin"))
                card.get_by_label("Server address").fill(urls["jellyfin"])
                card.get_by_label("User name", exact=True).fill(USER_NAME)
                card.get_by_label(re.compile("^Password")).fill("not it either")
                card.get_by_role("button", name="Connect Jellyfin").click()
                expect(page.get_by_role("alert").first).to_be_visible()
                assert api.get("/api/v1/connections").json() == []
                card.get_by_label(re.compile("^Password")).fill(PASSWORD)
                card.get_by_role("button", name="Connect Jellyfin").click()
                expect(page.get_by_text(re.compile(r"Jellyfin.* is connected"))).to_be_visible()
            listed = api.get("/api/v1/connections").json()
            assert [c["provider"] for c in listed] == ["jellyfin"], listed
            assert len(state.sessions) == 2  # the form's sign-in got a token of its own
            assert PASSWORD not in str(listed) and errors == []
    assert PASSWORD not in log.read_text() and "not it" not in log.read_text()
