"""Household self-service in a real browser against a real server, in German: a family that has
just signed up changes a person, adds and confirms its mobile number, chooses how it is told,
ends a calendar subscription, downloads its data and erases its household. Every new page is
checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.async_api import Browser, Page

from tests.web.conftest import Server, check_page, new_page

EMAIL = "familie.wolke@example.org"
PHONE = "+4915123456789"


async def _sign_up(page: Page, server: Server) -> None:
    await page.goto(f"{server.url}/sign-up")
    await page.get_by_label("Ihr Name").fill("Wiebke Wolke")
    await page.get_by_label("Ihre E-Mail-Adresse").fill(EMAIL)
    await page.get_by_role("button", name="Registrieren und Code bekommen").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    await page.locator("#code").fill(server.sign_in_code(EMAIL))
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(re.compile(r"/household$"))


async def test_a_new_family_manages_its_household_in_german(
    browser: Browser, server: Server, axe_script: Path, tmp_path: Path
) -> None:
    page = await new_page(browser, "de-DE")
    await _sign_up(page, server)
    await page.get_by_label("Vorname").fill("Lina")
    await page.get_by_label("Nachname").fill("Wolke")
    await page.get_by_label("Geburtsdatum").fill("2017-05-04")
    await page.get_by_label("Beziehung zur Person in Haft").select_option("child")
    await page.get_by_role("button", name="Person hinzufügen").click()
    await page.get_by_text("Die Person wurde Ihrem Haushalt hinzugefügt.").wait_for()

    # People
    await page.get_by_role("link", name="Haushalt verwalten").click()
    await page.wait_for_url(re.compile(r"/household/manage$"))
    await page.get_by_role("heading", name="Haushalt verwalten", level=1).wait_for()
    await check_page(page, axe_script, "20-household-manage")
    await page.get_by_role("link", name=re.compile(r"Ändern oder entfernen\W+Lina Wolke")).click()
    await page.wait_for_url(re.compile(r"/household/people/[0-9a-f-]{36}$"))
    await check_page(page, axe_script, "21-household-person")
    await page.get_by_label("Vorname").fill("Lina Marie")
    await page.get_by_label("Diese Person ist erziehungsberechtigt für die Kinder").check()
    await page.get_by_role("button", name="Änderungen speichern").click()
    await page.get_by_text("Die Änderungen wurden gespeichert.").wait_for()
    assert server.query(
        "SELECT given_name, is_guardian FROM visitor WHERE family_name = 'Wolke'"
    ) == [("Lina Marie", 1)]

    # Contact data, then the new mobile number's confirmation
    await page.get_by_role("link", name="Ihre Angaben ändern").click()
    await page.wait_for_url(re.compile(r"/household/contact$"))
    await check_page(page, axe_script, "22-household-contact")
    await page.get_by_label("Ihre Handynummer").fill("0151 2345 6789")
    await page.get_by_role("button", name="Änderungen speichern").click()
    await page.wait_for_url(re.compile(r"/household/phone\?done=phone_changed$"))
    await check_page(page, axe_script, "23-household-phone")
    await page.get_by_role("button", name="Schicken Sie mir einen Code per SMS").click()
    await page.wait_for_url(re.compile(r"/household/phone\?challenge=.+&done=code_sent$"))
    code = server.sign_in_code(PHONE, purpose="phone_code")
    await page.locator("#code").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    await page.get_by_role("button", name="Meine Handynummer bestätigen").click()
    summary = page.get_by_role("alert")
    await summary.get_by_role("link", name=re.compile("Dieser Code hat nicht funktioniert")).click()
    assert await page.evaluate("document.activeElement.id") == "code"
    await check_page(page, axe_script, "24-household-phone-code")
    await page.locator("#code").fill(code)
    await page.get_by_role("button", name="Meine Handynummer bestätigen").click()
    await page.get_by_text(f"Ihre Handynummer {PHONE} ist bestätigt.").wait_for()
    confirmed = server.query(
        "SELECT phone_e164, phone_confirmed_at IS NOT NULL FROM household WHERE email = ?", EMAIL
    )
    assert confirmed == [(PHONE, 1)]

    # How the household is told
    await page.get_by_role("link", name="Wählen Sie, wie wir Sie über Ihre Besuche").click()
    await page.wait_for_url(re.compile(r"/household/preferences$"))
    await check_page(page, axe_script, "25-household-preferences")
    await page.get_by_label("Per E-Mail und per SMS").check()
    await page.get_by_label("Ja, schicken Sie mir SMS").check()
    await page.get_by_role("button", name="Speichern").click()
    await page.get_by_text("Ihre Auswahl wurde gespeichert.").wait_for()
    assert server.query("SELECT notify_by, sms_consent FROM household WHERE email = ?", EMAIL) == [
        ("both", 1)
    ]
    for target in (".choice", "main button"):  # 44 px targets
        box = await page.locator(target).first.bounding_box()
        assert box is not None
        assert box["height"] >= 44, (target, box)

    # Calendar subscriptions
    await page.goto(f"{server.url}/household/calendars")
    await page.get_by_text("Sie haben kein aktives Kalender-Abonnement.").wait_for()
    await page.get_by_role("button", name="Kalender-Abonnement anlegen").click()
    await page.get_by_role("link", name="In meiner Kalender-App öffnen").wait_for()
    await page.goto(f"{server.url}/household/calendars")
    await check_page(page, axe_script, "26-household-calendars")
    await page.get_by_role("button", name=re.compile("Dieses Abonnement beenden")).click()
    await page.get_by_text("Das Kalender-Abonnement ist beendet.").wait_for()
    await page.get_by_role("heading", name="Beendete Abonnements").wait_for()
    assert await page.get_by_role("button", name=re.compile("Abonnement beenden")).count() == 0

    # The data: download, then erasure
    await page.goto(f"{server.url}/household/manage")
    await page.get_by_role("link", name="Ihre Daten", exact=True).click()
    await page.wait_for_url(re.compile(r"/household/data$"))
    await check_page(page, axe_script, "27-household-data")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Meine Daten herunterladen").click()
    download = await waiting.value
    assert re.fullmatch(r"household-data-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    exported = json.loads(saved.read_text(encoding="utf-8"))
    assert exported["household"]["email"] == EMAIL
    assert [v["given_name"] for v in exported["visitors"]] == ["Lina Marie"]

    await page.get_by_role("link", name="Meinen Haushalt löschen").click()
    await page.wait_for_url(re.compile(r"/household/erase$"))
    await check_page(page, axe_script, "28-household-erase")
    await page.get_by_role("button", name="Meinen Haushalt jetzt löschen").click()
    await page.get_by_role("alert").get_by_role("link", name=re.compile("Häkchen")).wait_for()
    await check_page(page, axe_script, "29-household-erase-problems")
    assert server.query("SELECT count(*) FROM household WHERE email = ?", EMAIL) == [(1,)]
    await page.get_by_label("Ja, meinen Haushalt löschen.").check()
    await page.get_by_role("button", name="Meinen Haushalt jetzt löschen").click()
    await page.wait_for_url(re.compile(r"/household/erased$"))
    await page.get_by_role("heading", name="Ihr Haushalt ist gelöscht").wait_for()
    await check_page(page, axe_script, "30-household-erased")
    assert server.query("SELECT count(*) FROM household WHERE email = ?", EMAIL) == [(0,)]
    await page.goto(f"{server.url}/household")
    await page.wait_for_url(re.compile(r"/sign-in$"))  # signed out
    await page.context.close()
