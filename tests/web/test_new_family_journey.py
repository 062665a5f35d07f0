"""A family that has never used the service, in a real browser against a real server that
really delivers: it signs up in German, reads its code from the SMTP server, adds two children,
asks for approval, confirms its mobile number with a code that arrives by SMS (the fake Twilio
server, reached by the official client), chooses to be told by e-mail and SMS, and — once staff
approved the visitors — books a visit and is told by e-mail (the invite) and by SMS."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.calendar.helpers import SmtpSink
from tests.notify.fake_twilio import ACCOUNT, TOKEN, FakeTwilio, fake_twilio_process
from tests.web.conftest import DEMO_STAFF_PASSWORD, Server, check_page, new_page, serving

EMAIL = "selin.yilmaz@example.org"
MOBILE = "0151 23456700"
MOBILE_E164 = "+4915123456700"
CODE = re.compile(r"\b(\d{6})\b")
WAIT_SECONDS = 20  # a message is sent right after the response; the machine may be busy


@dataclass(frozen=True)
class Delivering(Server):
    """The server with what it sent: the SMTP server's messages and the fake Twilio's."""

    smtp: SmtpSink
    twilio: FakeTwilio

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [message for _, to, message in self.smtp.messages if address in to]

    def wait_for_mail(self, address: str, count: int) -> list[EmailMessage]:
        """Wait until ``count`` messages reached ``address`` (they are sent after a response)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.mails_to(address)) < count:
            assert time.monotonic() < deadline, [m["Subject"] for m in self.mails_to(address)]
            self.smtp.sink.arrived.wait(0.2)
            self.smtp.sink.arrived.clear()
        return self.mails_to(address)

    def wait_for_texts(self, number: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            texts = [m for m in self.twilio.messages() if m["To"] == number]
            if len(texts) >= count:
                return texts
            assert time.monotonic() < deadline, texts
            time.sleep(0.2)


@pytest.fixture(scope="module")
def delivering(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivering]:
    """``visits serve`` with demo data that sends e-mail to a local SMTP server and SMS through
    the fake Twilio server."""
    home = tmp_path_factory.mktemp("delivering-server")
    with SmtpSink() as smtp, fake_twilio_process() as twilio:
        delivery = {
            "VISITS_SMTP_HOST": "127.0.0.1",
            "VISITS_SMTP_PORT": str(smtp.port),
            "VISITS_SMTP_SECURITY": "none",
            "VISITS_MAIL_SENDER": "besuche@jva-musterstadt.example",
            "VISITS_SMS_SENDER": "twilio",
            "VISITS_TWILIO_ACCOUNT_SID": ACCOUNT,
            "VISITS_TWILIO_AUTH_TOKEN": TOKEN,
            "VISITS_TWILIO_MESSAGING_SERVICE_SID": "MGtest",
            "VISITS_TWILIO_API_BASE_URL": twilio.url,
        }
        with serving(home, **delivery) as server:
            yield Delivering(server.url, server.log, server.database, smtp, twilio)


def _api(server: Server, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def _add_person(
    page: Page, given_name: str, birth_date: str, relationship: str = "child"
) -> None:
    await page.locator("#given_name").fill(given_name)
    await page.locator("#family_name").fill("Yilmaz")
    await page.locator("#birth_date").fill(birth_date)
    await page.locator("#relationship").select_option(relationship)
    await page.get_by_role("button", name="Person hinzufügen").click()
    await page.wait_for_url(re.compile(r"done=visitor_added"))


def _staff_approves_every_request(server: Server) -> int:
    """A member of staff approves the family's requests (through the API: the console's
    approval queue is another issue's work)."""
    token = _api(
        server,
        "POST",
        "/api/v1/auth/staff/sign-in",
        {"email": "leitung@jva-musterstadt.example", "password": DEMO_STAFF_PASSWORD},
    )["token"]
    facility_id = server.query("SELECT id FROM facility")[0][0]
    facility = str(uuid.UUID(str(facility_id)))  # SQLite stores UUIDs as 32 hex digits
    pending = _api(
        server,
        "GET",
        f"/api/v1/staff/facilities/{facility}/approvals?status=pending&limit=100",
        token=token,
    )["items"]
    for approval in pending:
        _api(
            server,
            "POST",
            f"/api/v1/staff/approvals/{approval['id']}/decision",
            {"status": "approved", "reason": "Geburtsurkunden gesehen."},
            token=token,
        )
    return len(pending)


async def test_a_new_family_signs_up_is_approved_books_and_is_told_by_email_and_sms(
    browser: Browser, delivering: Delivering, axe_script: Path
) -> None:
    server = delivering
    page = await new_page(browser, "de-DE")
    await page.goto(f"{server.url}/")
    await page.locator("main a[href='/sign-up']").click()  # the start page leads to sign-in
    await page.wait_for_url(re.compile(r"/sign-up"))
    await page.locator("#guardian_name").fill("Selin Yilmaz")
    await page.locator("#email").fill(EMAIL)
    await page.locator("#phone").fill(MOBILE)
    await page.locator("input[name=sms_consent]").check()
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))

    [welcome] = server.wait_for_mail(EMAIL, 1)
    assert welcome["Content-Language"] == "de"
    code = CODE.search(_text(welcome))
    assert code is not None
    await page.locator("#code").fill(code.group(1))
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/household$"))

    await _add_person(page, "Selin", "1990-02-11", "partner")  # the guardian comes too
    await _add_person(page, "Elif", "2017-05-04")
    await _add_person(page, "Can", "2020-09-12")
    await page.locator("a[href^='/household/people/']").filter(has_text="Selin").click()
    await page.locator("#is_guardian").check()  # the children's mother
    await page.get_by_role("button", name="Änderungen speichern").click()
    await page.wait_for_load_state()
    await page.goto(f"{server.url}/household")
    await check_page(page, axe_script, "journey-01-household")

    await page.locator("nav.main-nav a[href='/book']").click()
    await page.locator("#prison_number").fill("MS-2026-0042")
    await page.locator("#prisoner_family_name").fill("Beispiel")
    await page.locator("form[action='/book/approval'] button[type=submit]").click()
    await page.wait_for_load_state()
    await check_page(page, axe_script, "journey-02-approval-requested")
    assert _staff_approves_every_request(server) == 3  # the guardian and two children

    await confirm_mobile_and_choose_both(page, server, axe_script)

    await page.locator("nav.main-nav a[href='/book']").click()
    await page.locator("a.button[href^='/book/']").first.click()
    await page.wait_for_selector("h2#week-heading")
    await page.locator("nav.week-nav a").last.click()
    await page.wait_for_load_state()
    family_time = page.locator("li.verdict-fits, li.verdict-warnings").filter(
        has_text="Kinder- und Familienbesuch"
    )
    await family_time.first.get_by_role("button").click()
    await page.wait_for_url(re.compile(r"/my-visits/[0-9a-f-]+\?done=held"))
    await page.get_by_role("button", name="Diesen Besuch buchen").click()
    await page.wait_for_url(re.compile(r"done=confirmed"))
    await check_page(page, axe_script, "journey-03-booked")
    reference = server.query("SELECT reference FROM visit ORDER BY created_at DESC LIMIT 1")[0][0]

    mails = server.wait_for_mail(EMAIL, 2)
    invite = mails[-1]
    assert str(invite["Subject"]).startswith("Besuch bestätigt: ")
    assert any(p.get_content_type() == "text/calendar" for p in invite.walk())
    texts = server.wait_for_texts(MOBILE_E164, 2)  # the confirmation code, then the booking
    assert reference in texts[-1]["Body"]
    assert "gebucht" in texts[-1]["Body"]
    for said in [_text(m) for m in mails] + [t["Body"] for t in texts]:
        assert "Elif" not in said  # no child is named in any message
        assert "Can " not in said
    await page.context.close()


async def confirm_mobile_and_choose_both(page: Page, server: Delivering, axe_script: Path) -> None:
    """The household's own pages: confirm the mobile number with a code sent by SMS, then be
    told by e-mail and SMS."""
    await page.goto(f"{server.url}/household/phone")
    await page.locator("form[action='/household/phone/code'] button[type=submit]").click()
    await page.wait_for_selector("#code")
    [text] = server.wait_for_texts(MOBILE_E164, 1)
    code = CODE.search(text["Body"])
    assert code is not None
    await page.locator("#code").fill(code.group(1))
    await page.locator("form[action='/household/phone/confirm'] button[type=submit]").click()
    await page.wait_for_load_state()
    assert server.query(
        "SELECT phone_confirmed_at IS NOT NULL FROM household WHERE email = ?", EMAIL
    ) == [(1,)]
    await page.goto(f"{server.url}/household/preferences")
    await page.locator("input[name=notify_by][value=both]").check()
    await page.locator("form[action='/household/preferences'] button[type=submit]").click()
    await page.wait_for_load_state()
    assert server.query("SELECT notify_by FROM household WHERE email = ?", EMAIL) == [("both",)]
    await check_page(page, axe_script, "journey-04-preferences")
