"""The web UI's pages as the gateway serves them: a browser session or the log-in page,
never a page without one; safe headers; the session's CSRF token for the page's script;
only known pages and files."""

from __future__ import annotations

import httpx
import pytest

from tests.support.installation import Installation
from tests.support.users import ADMIN

pytestmark = pytest.mark.timeout(60)
PAGES = ["/", "/connections", "/library", "/jobs", "/jobs/new", "/reviews", "/downloads"]
PAGES += ["/schedules", "/webhooks", "/tokens", "/settings", "/runs/" + "a" * 32]


async def test_pages_need_a_browser_session(installation: Installation) -> None:
    async with httpx.AsyncClient(base_url=installation.base_url) as browser:
        for path in PAGES:
            answer = await browser.get(path)
            assert answer.status_code == 302, path
            assert answer.headers["location"] == f"/login?next={path.replace('/', '%2F')}"
        # An API token is for scripts: the pages still ask the person to log in.
        tokened = await browser.get(
            "/reviews", headers={"Authorization": f"Bearer {installation.token}"}
        )
        assert tokened.status_code == 302
        # Set up already: the set-up page sends people to the log-in page.
        assert (await browser.get("/setup")).headers["location"] == "/login"
        assert (await browser.get("/login")).status_code == 200


async def test_a_logged_in_page_carries_its_csrf_token_and_safe_headers(
    installation: Installation,
) -> None:
    async with httpx.AsyncClient(base_url=installation.base_url) as browser:
        logged = await browser.post("/api/v1/login", json=ADMIN)
        csrf = logged.json()["csrf_token"]
        for path in PAGES:
            page = await browser.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-content-type-options"] == "nosniff"
            assert f'<meta name="csrf-token" content="{csrf}">' in page.text
            assert 'aria-current="page">' in page.text or path.startswith("/runs/")
        reviews = await browser.get("/reviews")
        assert '<a href="/reviews" aria-current="page">Review</a>' in reviews.text
        assert 'data-page="reviews"' in reviews.text

        # Only known pages, ids of a sane shape, files under the static folder.
        assert (await browser.get("/nowhere")).status_code == 404
        assert (await browser.get("/jobs/not-an-id")).status_code == 404
        assert (await browser.get("/runs/" + "a" * 65)).status_code == 404
        script = await browser.get("/ui/static/pages/reviews.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert (await browser.get("/ui/static/%2e%2e/pages.py")).status_code == 404
        assert (await browser.get("/ui/static/../pages.py")).status_code == 404

        # Logged out, the pages are closed again.
        await browser.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})
        assert (await browser.get("/reviews")).status_code == 302
