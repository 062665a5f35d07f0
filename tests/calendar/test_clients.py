"""Real clients: vdirsyncer syncs a household feed from a real ``visits serve`` on 127.0.0.1 and
khal shows the visits at the right local times on daylight-saving change days; khal imports an
invite and then its cancellation as one cancelled event."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import servers
from tests.accounts_helpers import Client
from tests.booking_helpers import Family, book, demo_family
from tests.calendar.checks import assert_valid
from tests.calendar.helpers import demo_rooms, local, next_dst_change_days, slot_at, visit_on
from visits.db.base import utcnow
from visits.db.models import Household

BIN = Path(sys.executable).parent
TIMEOUT = 90


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


def isolated_env(home: Path) -> dict[str, str]:
    """Clients read and write only below ``home``; the clock's zone is not Berlin's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VISITS_", "XDG_"))}
    return env | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TZ": "America/New_York",
        "LC_ALL": "C.UTF-8",
    }


def run(env: dict[str, str], *command: str, stdin: str = "") -> str:
    done = subprocess.run(
        command, env=env, input=stdin, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout


def khal_config(home: Path, vdir: Path) -> Path:
    config = home / "khal.conf"
    config.write_text(
        f"""[calendars]
[[visits]]
path = {vdir}
type = calendar

[locale]
local_timezone = Europe/Berlin
default_timezone = Europe/Berlin
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M

[default]
default_calendar = visits
""",
        encoding="utf-8",
    )
    return config


def khal_list(env: dict[str, str], config: Path, day: str) -> list[str]:
    output = run(
        env,
        str(BIN / "khal"),
        "-c",
        str(config),
        "list",
        day,
        "1d",
        "--format",
        "{start-time}-{end-time} {title} [{status}]",
        "--day-format",
        "",
    )
    return [line.strip() for line in output.splitlines() if line.strip()]


async def test_vdirsyncer_and_khal_show_visits_on_dst_days_at_local_time(
    client: Client,
    db: AsyncSession,
    family: Family,
    database_url: str,
    tmp_path: Path,
) -> None:
    march, october = next_dst_change_days(utcnow().date())
    room = (await demo_rooms(db))["Familienzimmer"]
    household = await db.scalar(sa.select(Household))
    # Across the spring change (01:30 CET to 04:00 CEST is 90 minutes), after it, and after
    # the autumn change.
    across = await visit_on(
        db, await slot_at(db, room, local(march, 1, 30), 90), household, [35, 4]
    )
    spring = await visit_on(db, await slot_at(db, room, local(march, 14)), household, [35, 4])
    autumn = await visit_on(db, await slot_at(db, room, local(october, 14)), household, [35, 4])
    await db.commit()
    created = await client.post("/api/v1/household/feeds", headers=family.headers, json={})
    assert created.status_code == 201
    feed_path = "/feeds/" + created.json()["url"].rsplit("/feeds/", 1)[1]

    home = tmp_path / "home"
    vdir = home / "calendars" / "visits"
    vdir.mkdir(parents=True)
    env = isolated_env(home)
    with servers(database_url, 1, tmp_path / "server") as [base]:
        sync = home / "vdirsyncer.conf"
        sync.write_text(
            f"""[general]
status_path = "{home / "status"}/"

[pair visits]
a = "visits_feed"
b = "visits_local"
collections = null
conflict_resolution = "a wins"

[storage visits_feed]
type = "http"
url = "{base}{feed_path}"

[storage visits_local]
type = "filesystem"
path = "{vdir}/"
fileext = ".ics"
""",
            encoding="utf-8",
        )
        vdirsyncer = str(BIN / "vdirsyncer")
        run(env, vdirsyncer, "-c", str(sync), "discover", stdin="y\n" * 5)
        run(env, vdirsyncer, "-c", str(sync), "sync")
    synced = sorted(vdir.glob("*.ics"))
    assert len(synced) == 3
    for item in synced:
        assert "BEGIN:VEVENT" in item.read_text(encoding="utf-8")

    config = khal_config(home, vdir)
    title = "Kinder- und Familienbesuch: JVA Musterstadt"
    assert khal_list(env, config, march.isoformat()) == [
        f"01:30-04:00 {title} [CONFIRMED ]",
        f"14:00-16:00 {title} [CONFIRMED ]",
    ]
    assert khal_list(env, config, october.isoformat()) == [f"14:00-16:00 {title} [CONFIRMED ]"]
    # vdirsyncer's http storage replaces UIDs by content hashes; the manage link names the visit.
    texts = [item.read_bytes().decode().replace("\r\n ", "") for item in synced]
    for visit in (across, spring, autumn):
        assert sum(f"/my-visits/{visit.id}" in text for text in texts) == 1


async def test_khal_imports_a_request_then_its_cancel_as_one_cancelled_event(
    client: Client, family: Family, tmp_path: Path
) -> None:
    booked = await book(client, family, family.family_slots[0])
    url = f"/api/v1/household/visits/{booked['id']}/invite.ics"
    request = (await client.get(url, headers=family.headers)).content
    cancelled = await client.post(
        f"/api/v1/household/visits/{booked['id']}/cancel", headers=family.headers, json={}
    )
    assert cancelled.status_code == 200
    cancel = (await client.get(url, headers=family.headers)).content
    assert_valid(request, "REQUEST")
    assert_valid(cancel, "CANCEL")
    home = tmp_path / "home"
    vdir = home / "calendars" / "visits"
    vdir.mkdir(parents=True)
    env = isolated_env(home)
    config = khal_config(home, vdir)
    day = booked["local_start"][:10]
    start, end = booked["local_start"][11:16], booked["local_end"][11:16]
    title = "Kinder- und Familienbesuch: JVA Musterstadt"
    khal = str(BIN / "khal")
    (tmp_path / "request.ics").write_bytes(request)
    (tmp_path / "cancel.ics").write_bytes(cancel)
    run(env, khal, "-c", str(config), "import", "--batch", str(tmp_path / "request.ics"))
    assert khal_list(env, config, day) == [f"{start}-{end} {title} [CONFIRMED ]"]
    run(env, khal, "-c", str(config), "import", "--batch", str(tmp_path / "cancel.ics"))
    assert khal_list(env, config, day) == [f"{start}-{end} {title} [CANCELLED ]"]
    assert len(list(vdir.glob("*.ics"))) == 1
