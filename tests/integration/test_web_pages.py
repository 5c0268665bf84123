"""The web UI's pages as the gateway serves them: a browser session or the log-in page,
never a page without one; safe headers; the session's CSRF token for the page's script;
only known pages and files."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.gateways import second_gateway
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


async def test_the_connect_forms_follow_the_provider_registry(installation: Installation) -> None:
    # Every account provider of the registry gets a form shaped by its auth strategy, so a
    # new provider needs no page of its own.
    from services.connectors.registry import SPECS

    async with httpx.AsyncClient(base_url=installation.base_url) as browser:
        await browser.post("/api/v1/login", json=ADMIN)
        page = (await browser.get("/connections")).text
        for spec in SPECS:
            assert f'id="{spec.name}" class="stack connect" data-auth="{spec.info.auth}"' in page
            assert f"Connect {spec.info.display_name}" in page
        # Consent providers ask for no token; token providers never prefill one.
        spotify = page.split('id="spotify"', 1)[1].split("</form>", 1)[0]
        assert 'name="client_id"' in spotify and "access_token" not in spotify
        plex = page.split('id="plex"', 1)[1].split("</form>", 1)[0]
        assert 'name="server_url"' in plex and 'name="access_token"' in plex
        assert "ALLOWED_SERVER_HOSTS" in page  # the Plex-on-the-LAN hint comes with it
        subsonic = page.split('id="subsonic"', 1)[1].split("</form>", 1)[0]
        for field in ("server_url", "username", "password"):
            assert f'name="{field}"' in subsonic
        assert 'name="access_token"' not in subsonic
        ytmusic = page.split('id="ytmusic"', 1)[1].split("</form>", 1)[0]
        assert "<textarea" in ytmusic and 'name="headers"' in ytmusic
        assert 'name="access_token"' not in ytmusic
        assert "Copy Request Headers" in page and 'data-auth="device_code"' in page


SAFE_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


async def test_api_answers_and_swagger_carry_the_pages_security_headers(
    installation: Installation,
) -> None:
    async with installation.client() as api, httpx.AsyncClient(base_url=api.base_url) as anyone:
        answers = [
            await api.get("/api/v1/me"),
            await api.get("/api/v1/sync/jobs"),
            await anyone.get("/api/v1/sync/jobs"),  # a 401 problem
            await anyone.get("/api/v1/health"),
            await anyone.get("/schema/openapi.json"),
            await anyone.get("/schema/swagger"),
        ]
        for answer in answers:
            for name in SAFE_HEADERS:
                assert name in answer.headers, (answer.url, name)
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert answer.headers["x-content-type-options"] == "nosniff"
        assert answers[0].headers["cache-control"] == "no-store"  # nothing personal cached


async def test_swagger_loads_only_the_gateways_own_scripts(installation: Installation) -> None:
    async with httpx.AsyncClient(base_url=installation.base_url) as anyone:
        page = await anyone.get("/schema/swagger")
        assert page.status_code == 200
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
        assert scripts and all(body.strip() == "" for _, body in scripts)  # none inline
        sources = [re.search(r"src='([^']+)'", attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
        links = re.findall(r"href='([^']+)'", page.text)
        for url in sources + links:
            assert url.startswith("/"), url  # from the gateway, no CDN
            assert (await anyone.get(url)).status_code == 200, url
        bundle = await anyone.get("/ui/static/swagger/swagger-ui-bundle.js")
        assert "javascript" in bundle.headers["content-type"] and len(bundle.content) > 100_000
        licence = await anyone.get("/ui/static/swagger/LICENSE")
        assert licence.status_code == 200 and "Apache License" in licence.text


async def test_metrics_can_require_a_token(installation: Installation) -> None:
    async with (
        second_gateway(installation, metrics_token="s3cret-metrics") as url,
        httpx.AsyncClient(base_url=url) as scraper,
    ):
        refused = await scraper.get("/metrics")
        assert refused.status_code == 401 and "METRICS_TOKEN" in refused.json()["detail"]
        wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        scraped = await scraper.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert scraped.status_code == 200 and "# TYPE" in scraped.text
