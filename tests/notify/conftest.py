from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.fake_twilio import FakeTwilio, fake_twilio_process


@pytest.fixture(scope="session")
def fake_twilio_server() -> Iterator[FakeTwilio]:
    with fake_twilio_process() as fake:
        yield fake


@pytest.fixture
def fake_twilio(fake_twilio_server: FakeTwilio) -> Iterator[FakeTwilio]:
    fake_twilio_server.reset()
    yield fake_twilio_server
    fake_twilio_server.reset()
