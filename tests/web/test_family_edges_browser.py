"""The family pages' rough edges in a real browser, phone-sized (390 px): the week narrowed to
the times that fit, a move with the current time marked, and cancelling in two steps; every
page is checked with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page

from tests.web.conftest import PAGE_TIMEOUT_MS, Server, check_page
from tests.web.test_browser import open_slots, sign_in

PHONE = {"width": 390, "height": 844}


async def phone_page(browser: Browser) -> Page:
    """A 390 px wide page in English, in a fresh context (its own cookies)."""
    context = await browser.new_context(
        locale="en-GB", viewport=PHONE, extra_http_headers={"Accept-Language": "en-GB"}
    )
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


async def page_height(page: Page) -> int:
    return int(await page.evaluate("document.documentElement.scrollHeight"))


async def test_a_family_narrows_the_week_to_the_times_that_fit(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await phone_page(browser)
    await sign_in(page, server, axe_script, shots=False)
    await page.get_by_role("link", name="English").click()
    await open_slots(page, weeks_ahead=1)
    await page.get_by_label(re.compile(r"^Anna")).uncheck()
    await page.get_by_role("button", name="Show times for this group").click()
    await page.locator("li.verdict-not_possible").first.wait_for()
    everything = await page_height(page)
    assert (
        await page.locator("li.slot").count()
        == await page.locator("li.verdict-not_possible").count()
    )

    await page.get_by_role("link", name="Show only the times that are possible").click()
    await page.wait_for_url(re.compile(r"fits=1"))
    await page.get_by_text("No time in this week is possible for this group.").wait_for()
    assert await page.locator("li.slot").count() == 0
    assert await page_height(page) < everything / 2
    await check_page(page, axe_script, "13-nothing-fits")

    await page.get_by_label(re.compile(r"^Anna")).check()
    await page.get_by_role("button", name="Show times for this group").click()
    await page.wait_for_url(re.compile(r"fits=1"))
    assert await page.locator("li.slot").count() > 0
    assert await page.locator("li.verdict-not_possible").count() == 0
    assert await page.locator(".tag.child-friendly").count() > 0
    await check_page(page, axe_script, "14-only-fitting")
    await page.locator("nav.week-nav a").last.click()
    await page.wait_for_url(re.compile(r"fits=1"))
    assert await page.locator("li.verdict-not_possible").count() == 0
    await page.context.close()


async def test_a_family_moves_a_visit_then_cancels_it_in_two_steps(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await phone_page(browser)
    await sign_in(page, server, axe_script, shots=False)
    await page.get_by_role("link", name="English").click()
    await open_slots(page, weeks_ahead=2)
    await page.locator("li.verdict-fits").first.get_by_role("button").click()
    await page.get_by_role("button", name="Book this visit").click()
    await page.get_by_text("Your visit is booked.").wait_for()
    visit_url = page.url.split("?")[0]

    await page.get_by_role("link", name="Choose another time").click()
    current = page.locator("li.slot.current")
    await current.wait_for()
    assert "Your current time" in await current.inner_text()
    assert await current.get_by_role("button").count() == 0
    await check_page(page, axe_script, "15-move")

    await page.goto(visit_url)
    await page.get_by_role("link", name="Cancel this visit").click()
    await page.get_by_role("heading", name="Cancel your visit?").wait_for()
    await check_page(page, axe_script, "16-cancel-step")
    await page.get_by_role("link", name="No, keep my visit").click()
    await page.wait_for_url(visit_url)
    await page.get_by_text("Booked", exact=True).wait_for()

    await page.get_by_role("link", name="Cancel this visit").click()
    await page.locator("#reason").fill("Mia has a school trip")
    await page.get_by_role("button", name="Yes, cancel this visit").click()
    await page.wait_for_url(re.compile(r"done=cancelled"))
    await page.get_by_text("Cancelled", exact=True).wait_for()
    assert await page.get_by_role("link", name=re.compile("Add to my calendar")).count() == 0
    await check_page(page, axe_script, "17-cancelled")
    await page.context.close()
