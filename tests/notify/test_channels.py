"""Messages really reach people: e-mail through a real SMTP server, SMS through the real Twilio
client and the fake Twilio server; production refuses to start without a channel, and writes
no code or message text to its log."""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.calendar.helpers import SmtpSink
from tests.notify.fake_twilio import FakeTwilio
from tests.test_cli import clean_env, run, serving  # noqa: F401 - clean_env is a fixture
from visits.app import create_app
from visits.db.models import Household
from visits.enums import ContactChannel
from visits.notify.channels import LogChannel, OutgoingMessage, notifier_for
from visits.settings import Settings, SettingsError, load_settings

CODE = re.compile(r"\b(\d{6})\b")
SENDER = "noreply@visits.example"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def mailed(settings: Settings, smtp: SmtpSink, **changes: Any) -> Settings:
    return msgspec.structs.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        mail_sender=SENDER,
        **changes,
    )


def parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_email_is_multipart_text_and_html_in_the_readers_language(
    settings: Settings, smtp: SmtpSink
) -> None:
    notifier = notifier_for(mailed(settings, smtp))
    assert notifier.delivers(ContactChannel.EMAIL)
    await notifier.send(
        OutgoingMessage(
            channel=ContactChannel.EMAIL,
            to="anna@example.org",
            subject="Besuch bestätigt",
            text="Ihr Besuch <B-1> ist bestätigt.\n\nBis bald & alles Gute.",
            purpose="visit_confirmed",
            language="de",
        )
    )
    [(sender, recipients, message)] = smtp.messages
    assert (sender, recipients) == (SENDER, ["anna@example.org"])
    assert message["Subject"] == "Besuch bestätigt"
    assert message["Content-Language"] == "de"
    assert message.get_content_type() == "multipart/alternative"
    found = parts(message)
    assert "Ihr Besuch <B-1> ist bestätigt." in found["text/plain"]
    assert "<p>Ihr Besuch &lt;B-1&gt; ist bestätigt.</p>" in found["text/html"]
    assert "<p>Bis bald &amp; alles Gute.</p>" in found["text/html"]
    assert '<html lang="de">' in found["text/html"]


async def test_sms_goes_through_the_real_twilio_client(
    settings: Settings, fake_twilio: FakeTwilio
) -> None:
    notifier = notifier_for(fake_twilio.settings(settings))
    assert notifier.delivers(ContactChannel.SMS)
    await notifier.send(
        OutgoingMessage(
            channel=ContactChannel.SMS,
            to="+4915112345678",
            subject="ignored in an SMS",
            text="Ihr Code ist 123456.",
            purpose="sign_in_code",
        )
    )
    [sent] = fake_twilio.messages()
    assert (sent["To"], sent["Body"]) == ("+4915112345678", "Ihr Code ist 123456.")


def test_outside_production_a_medium_without_a_channel_goes_to_the_log(
    settings: Settings,
) -> None:
    notifier = notifier_for(settings)
    assert isinstance(notifier.channels[ContactChannel.EMAIL], LogChannel)
    assert not notifier.delivers(ContactChannel.EMAIL)
    assert not notifier.delivers(ContactChannel.SMS)


async def test_a_sign_up_code_arrives_by_email_and_signs_the_household_in(
    settings: Settings, smtp: SmtpSink, db: AsyncSession
) -> None:
    app = create_app(mailed(settings, smtp))
    async with AsyncTestClient(app=app) as client:
        answer = await client.post(
            "/api/v1/auth/households",
            json={"guardian_name": "Neue Familie", "language": "de", "email": "neu@example.org"},
        )
        assert answer.status_code == 202, answer.text
        assert smtp.sink.arrived.wait(30)
        [(_, recipients, message)] = smtp.messages
        assert recipients == ["neu@example.org"]
        assert message["Content-Language"] == "de"
        text = parts(message)["text/plain"]
        code = CODE.search(text)
        assert code is not None, text
        signed_in = await client.post(
            "/api/v1/auth/household/verify",
            json={"challenge_id": answer.json()["challenge_id"], "code": code.group(1)},
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["token_type"] == "Bearer"
    household = await db.scalar(sa.select(Household))
    assert household is not None
    assert household.email == "neu@example.org"


def test_production_refuses_the_log_channels_and_incomplete_channels() -> None:
    with pytest.raises(SettingsError) as nothing:
        load_settings({"VISITS_ENVIRONMENT": "production"}, config_file=Path("/dev/null"))
    problems = "\n".join(nothing.value.problems)
    assert "production needs a channel to reach families" in problems
    assert "VISITS_SMS_SENDER: the console sender" in problems

    with pytest.raises(SettingsError) as no_sender:
        load_settings(
            {
                "VISITS_ENVIRONMENT": "production",
                "VISITS_SMTP_HOST": "mail.example.org",
                "VISITS_SMS_SENDER": "off",
            },
            config_file=Path("/dev/null"),
        )
    assert no_sender.value.problems == [
        "VISITS_MAIL_SENDER: e-mail needs a sender address in production"
    ]

    with pytest.raises(SettingsError) as twilio:
        load_settings({"VISITS_SMS_SENDER": "twilio"}, config_file=Path("/dev/null"))
    assert len(twilio.value.problems) == 2  # credentials, and a sender

    ready = load_settings(
        {
            "VISITS_ENVIRONMENT": "production",
            "VISITS_SMTP_HOST": "mail.example.org",
            "VISITS_MAIL_SENDER": SENDER,
            "VISITS_SMS_SENDER": "off",
        },
        config_file=Path("/dev/null"),
    )
    assert ready.environment == "production"


def test_production_without_a_channel_does_not_start(
    clean_env: dict[str, str],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    result = run(["serve"], {**clean_env, "VISITS_ENVIRONMENT": "production"}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "production needs a channel to reach families" in result.stderr


def test_in_production_a_code_is_mailed_and_never_logged(
    clean_env: dict[str, str],  # noqa: F811 - the fixture
    tmp_path: Path,
    smtp: SmtpSink,
) -> None:
    env = {
        **clean_env,
        "VISITS_ENVIRONMENT": "production",
        "VISITS_SMTP_HOST": "127.0.0.1",
        "VISITS_SMTP_PORT": str(smtp.port),
        "VISITS_SMTP_SECURITY": "none",
        "VISITS_MAIL_SENDER": SENDER,
        "VISITS_SMS_SENDER": "off",
        "VISITS_SEED_DEMO": "false",
        "VISITS_SCHEDULER": "off",
        "VISITS_LOG_LEVEL": "DEBUG",
    }
    with serving(env, tmp_path) as server:
        body = {"guardian_name": "Neue Familie", "language": "en", "email": "new@example.org"}
        request = urllib.request.Request(
            f"{server.base}/api/v1/auth/households",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202
        assert smtp.sink.arrived.wait(30)
        server.wait_for("message_mailed")
        assert server.stop(signal.SIGTERM) == 0
    [(_, _, message)] = smtp.messages
    text = parts(message)["text/plain"]
    code = CODE.search(text)
    assert code is not None, text
    assert code.group(1) not in server.output
    assert text.splitlines()[0] not in server.output
    assert "new@example.org" not in server.output
