"""The API reference at /schema renders in Chromium with no network but the server's own, and
under its strict Content-Security-Policy (no inline script, nothing from a CDN)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Browser, ConsoleMessage, Request, Route

from tests.web.conftest import SCREENSHOTS, Server


async def test_the_api_reference_works_offline_under_a_strict_csp(
    server: Server, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    own = urlsplit(server.url).netloc
    elsewhere: list[str] = []
    console: list[str] = []

    async def offline(route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc == own or request.url.startswith("data:"):
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort()

    def remember(message: ConsoleMessage) -> None:
        console.append(message.text)

    await page.route("**/*", offline)
    page.on("console", remember)
    response = await page.goto(f"{server.url}/schema")
    assert response is not None
    assert response.status == 200
    directives = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert directives["script-src"] == "'self'"  # no inline script, no CDN
    assert directives["default-src"] == "'none'"
    # Swagger UI fetched the document from the server and lists the operations by tag.
    await page.locator(".opblock").first.wait_for(timeout=30_000)
    assert await page.locator(".opblock").count() >= 70
    assert await page.locator(".opblock-tag").count() >= 5
    assert elsewhere == []
    assert not [line for line in console if "Content Security Policy" in line or "Refused" in line]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "api-reference.png"))
    await context.close()
