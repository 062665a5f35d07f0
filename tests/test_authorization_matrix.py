"""Authorization on every endpoint, derived from the app's own routes so new ones are covered.

Households: another household's identifiers answer 404, exactly like unknown ones, and change
nothing. Staff: every staff endpoint refuses the wrong role or the wrong facility (403), refuses
household tokens and missing tokens (401), and lets the right role through.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, sign_up, staff_token
from tests.visit_helpers import book_directly
from visits.accounts.tokens import issue as issue_token
from visits.app import create_app
from visits.db.base import utcnow
from visits.db.models import (
    Closure,
    Facility,
    FacilityInformation,
    GuardianConsent,
    Household,
    Prisoner,
    PrisonerRestriction,
    Room,
    Slot,
    SlotTemplate,
    Visitor,
    VisitorApproval,
)
from visits.demo import seed_demo
from visits.enums import CustodyStatus, Language, StaffRole, TokenKind
from visits.settings import Settings

R = StaffRole
ANY_ROLE = {R.VISITS_OFFICER, R.VISITS_MANAGER, R.SAFEGUARDING_LEAD}


def routes(prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    app = create_app(Settings(environment="test", scheduler="off"))
    found = set()
    for route in app.routes:
        if route.path.startswith(prefixes):
            for method in getattr(route, "methods", ()):
                if method not in {"HEAD", "OPTIONS"}:
                    found.add((method, route.path_format))
    return found


# ---------------------------------------------------------------- households

HOUSEHOLD_ID_ROUTES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/household/visitors/{visitor_id}"): None,
    ("PATCH", "/api/v1/household/visitors/{visitor_id}"): {"given_name": "Changed"},
    ("DELETE", "/api/v1/household/visitors/{visitor_id}"): None,
    ("POST", "/api/v1/household/visitors/{visitor_id}/approval-requests"): "approval",  # type: ignore[dict-item]
    ("GET", "/api/v1/household/visits/{visit_id}"): None,
    ("POST", "/api/v1/household/visits/{visit_id}/confirm"): None,
    ("POST", "/api/v1/household/visits/{visit_id}/cancel"): {},
    ("POST", "/api/v1/household/visits/{visit_id}/reschedule"): "slot",  # type: ignore[dict-item]
    ("GET", "/api/v1/household/visits/{visit_id}/invite.ics"): None,
    ("DELETE", "/api/v1/household/feeds/{feed_id}"): None,
}
KINDS = {"{visitor_id}": "visitor", "{visit_id}": "visit", "{feed_id}": "feed"}


def test_every_household_route_with_an_identifier_is_in_the_matrix() -> None:
    with_ids = {r for r in routes(("/api/v1/household",)) if "{" in r[1]}
    assert with_ids == set(HOUSEHOLD_ID_ROUTES)


async def test_another_households_identifiers_answer_404_and_change_nothing(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility))
    prisoner = await db.scalar(sa.select(Prisoner))
    assert facility is not None
    assert prisoner is not None
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock
    owner = await sign_up(client, caplog, "owner@example.org")
    other = await sign_up(client, caplog, "other@example.org")
    added = await client.post(
        "/api/v1/household/visitors",
        headers=bearer(owner),
        json={
            "given_name": "Lina",
            "family_name": "O",
            "birth_date": "2017-04-02",
            "relationship": "child",
        },
    )
    assert added.status_code == 201
    visitor_id = added.json()["id"]
    slots = list(
        await db.scalars(
            sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at).limit(2)
        )
    )
    visit = await book_directly(db, slots[0], [40])
    visit.household_id = await db.scalar(
        sa.select(Household.id).where(Household.email == "owner@example.org")
    )
    visit_id, other_slot = str(visit.id), str(slots[1].id)
    await db.commit()
    feed = await client.post("/api/v1/household/feeds", headers=bearer(owner), json={})
    assert feed.status_code == 201
    owned = {"visitor_id": visitor_id, "visit_id": visit_id, "feed_id": feed.json()["id"]}
    approval = {
        "facility_id": str(facility.id),
        "prison_number": prisoner.prison_number,
        "prisoner_family_name": prisoner.family_name,
    }
    for (method, path), body in HOUSEHOLD_ID_ROUTES.items():
        kind = next(name for marker, name in KINDS.items() if marker in path)
        url = path
        for name, value in owned.items():
            url = url.replace("{" + name + "}", value)
        payload = (
            approval if body == "approval" else {"slot_id": other_slot} if body == "slot" else body
        )
        for identifier_owner in ("other", "nobody"):
            target = (
                url
                if identifier_owner == "other"
                else re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
            )
            response = await client.request(method, target, headers=bearer(other), json=payload)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["type"] == f"urn:visits:problem:{kind}-not-found"
        unauthenticated = await client.request(method, url, json=payload)
        assert unauthenticated.status_code == 401
    kept = await client.get(f"/api/v1/household/visits/{visit_id}", headers=bearer(owner))
    assert kept.json()["status"] == "confirmed"
    assert kept.json()["ical_sequence"] == 0
    mine = await client.get(f"/api/v1/household/visitors/{visitor_id}", headers=bearer(owner))
    assert mine.status_code == 200
    assert mine.json()["given_name"] == "Lina"
    assert mine.json()["approvals"] == []
    feeds = await client.get("/api/v1/household/feeds", headers=bearer(owner))
    assert feeds.json()["items"][0]["revoked_at"] is None
    # The other household's lists never show it.
    theirs = await client.get("/api/v1/household/visitors", headers=bearer(other))
    assert theirs.json()["total"] == 0


async def test_household_tokens_cannot_reach_staff_endpoints(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "curious@example.org")
    for method, path in routes(("/api/v1/staff", "/api/v1/admin")):
        url = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
        response = await client.request(method, url, headers=bearer(token), json={})
        assert response.status_code == 401, (method, path)
        assert (await client.request(method, url, json={})).status_code == 401


# ---------------------------------------------------------------- staff

MANAGER = {R.VISITS_MANAGER}
DESK = {R.VISITS_OFFICER, R.VISITS_MANAGER}
LEAD = {R.SAFEGUARDING_LEAD}
VISITOR = "/api/v1/staff/facilities/{facility_id}/visitors/{visitor_id}"
PRISONER = "/api/v1/staff/prisoners/{prisoner_id}"
# Who may call each staff route at facility one; admins may call everything except LEAD_ONLY.
STAFF_RULES: dict[tuple[str, str], set[StaffRole]] = {
    ("GET", "/api/v1/staff/facilities/{facility_id}/prisoners"): ANY_ROLE,
    ("POST", "/api/v1/staff/facilities/{facility_id}/prisoners"): DESK,
    ("POST", "/api/v1/staff/facilities/{facility_id}/prisoners/import"): DESK,
    ("GET", PRISONER): ANY_ROLE,
    ("POST", PRISONER + "/restrictions"): LEAD,
    ("POST", PRISONER + "/restrictions/{restriction_id}/lift"): LEAD,
    ("PUT", PRISONER + "/closed-visits"): LEAD,
    ("POST", PRISONER + "/release"): DESK,
    ("POST", PRISONER + "/transfer"): DESK,
    ("GET", "/api/v1/staff/facilities/{facility_id}/households"): DESK,
    ("POST", "/api/v1/staff/facilities/{facility_id}/households"): DESK,
    ("GET", "/api/v1/staff/facilities/{facility_id}/households/{household_id}/safeguarding"): (
        ANY_ROLE
    ),
    ("POST", VISITOR + "/safeguarding-flags"): LEAD,
    ("POST", VISITOR + "/safeguarding-flags/{flag}/clearing"): LEAD,
    ("PUT", VISITOR + "/visit-wish"): LEAD,
    ("POST", "/api/v1/staff/facilities/{facility_id}/guardian-consents"): LEAD,
    ("POST", "/api/v1/staff/facilities/{facility_id}/guardian-consents/{consent_id}/withdrawal"): (
        LEAD
    ),
    ("GET", "/api/v1/staff/facilities/{facility_id}/approvals"): ANY_ROLE,
    ("POST", "/api/v1/staff/approvals/{approval_id}/decision"): ANY_ROLE,
    ("GET", "/api/v1/admin/staff"): set(),
    ("POST", "/api/v1/admin/staff"): set(),
    ("GET", "/api/v1/admin/staff/{staff_id}"): set(),
    ("PATCH", "/api/v1/admin/staff/{staff_id}"): set(),
    ("POST", "/api/v1/staff/facilities"): set(),
    ("PATCH", "/api/v1/staff/facilities/{facility_id}"): MANAGER,
    ("PUT", "/api/v1/staff/facilities/{facility_id}/information"): MANAGER,
    ("DELETE", "/api/v1/staff/information/{information_id}"): MANAGER,
    ("POST", "/api/v1/staff/facilities/{facility_id}/rooms"): MANAGER,
    ("PATCH", "/api/v1/staff/rooms/{room_id}"): MANAGER,
    ("GET", "/api/v1/staff/facilities/{facility_id}/slot-templates"): ANY_ROLE,
    ("POST", "/api/v1/staff/facilities/{facility_id}/slot-templates"): MANAGER,
    ("PATCH", "/api/v1/staff/slot-templates/{template_id}"): MANAGER,
    ("POST", "/api/v1/staff/facilities/{facility_id}/slots/generate"): MANAGER,
    ("GET", "/api/v1/staff/facilities/{facility_id}/closures"): ANY_ROLE,
    ("POST", "/api/v1/staff/facilities/{facility_id}/closures/preview"): ANY_ROLE,
    ("POST", "/api/v1/staff/facilities/{facility_id}/closures"): MANAGER,
    ("DELETE", "/api/v1/staff/closures/{closure_id}"): MANAGER,
    ("GET", "/api/v1/staff/facilities/{facility_id}/day-sheet"): ANY_ROLE,
    ("GET", "/api/v1/staff/facilities/{facility_id}/figures"): ANY_ROLE,
    ("POST", "/api/v1/staff/checks"): ANY_ROLE,
    ("GET", "/api/v1/staff/facilities/{facility_id}/rule-parameters"): ANY_ROLE,
    ("PUT", "/api/v1/staff/facilities/{facility_id}/rule-parameters"): MANAGER,
    ("GET", "/api/v1/staff/facilities/{facility_id}/alerts"): ANY_ROLE,
    ("GET", "/api/v1/staff/facilities/{facility_id}/notices"): ANY_ROLE,
    ("POST", "/api/v1/staff/visits"): {R.VISITS_OFFICER, R.VISITS_MANAGER},
    ("GET", "/api/v1/staff/facilities/{facility_id}/visits"): ANY_ROLE,
    ("GET", "/api/v1/staff/visits/{visit_id}"): ANY_ROLE,
    ("POST", "/api/v1/staff/visits/{visit_id}/decision"): ANY_ROLE,
    ("POST", "/api/v1/staff/visits/{visit_id}/overrides"): ANY_ROLE,
    ("POST", "/api/v1/staff/visits/{visit_id}/attendance"): {R.VISITS_OFFICER, R.VISITS_MANAGER},
    ("POST", "/api/v1/staff/visits/{visit_id}/cancel"): {R.VISITS_OFFICER, R.VISITS_MANAGER},
    ("POST", "/api/v1/staff/visits/{visit_id}/reschedule"): {R.VISITS_OFFICER, R.VISITS_MANAGER},
    ("GET", "/api/v1/staff/facilities/{facility_id}/feeds"): MANAGER,
    ("POST", "/api/v1/staff/facilities/{facility_id}/feeds"): ANY_ROLE,
    # Another member's feed (their own may always be revoked by its owner).
    ("DELETE", "/api/v1/staff/feeds/{feed_id}"): MANAGER,
}
# Open to every member of staff, with results limited to their facilities (audit) or to their
# own subscriptions (feeds).
FILTERED_ROUTES = {("GET", "/api/v1/staff/audit"), ("GET", "/api/v1/staff/feeds")}
# Safeguarding facts are recorded by the facility's safeguarding lead alone, the role the rule
# catalogue names (CF-02, CF-05, CF-19, CF-22): an administrator without that role may not.
LEAD_ONLY = {route for route, roles in STAFF_RULES.items() if roles == LEAD}


def test_every_staff_route_is_in_the_matrix() -> None:
    assert routes(("/api/v1/staff", "/api/v1/admin")) == set(STAFF_RULES) | FILTERED_ROUTES


async def test_staff_routes_refuse_wrong_roles_and_facilities(
    client: Client, db: AsyncSession
) -> None:
    await seed_demo(db)
    one = await db.scalar(sa.select(Facility.id))
    assert one is not None
    two = Facility(
        slug="two",
        name="Two",
        timezone="Europe/Berlin",
        street="s",
        postal_code="1",
        city="c",
        country="DE",
        email="two@example.org",
    )
    db.add(two)
    await db.commit()
    two_id = two.id
    approval_id = await db.scalar(sa.select(VisitorApproval.id))
    room = await db.scalar(sa.select(Room).where(Room.name == "Spielzimmer"))
    assert room is not None
    room_id = room.id
    template_id = await db.scalar(sa.select(SlotTemplate.id))
    slot = await db.scalar(
        sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at)
    )
    assert slot is not None
    slot_id = slot.id
    visit_id = (await book_directly(db, slot, [30, 6])).id
    household_id = await db.scalar(sa.select(Household.id))
    visitor_ids = [str(v) for v in await db.scalars(sa.select(Visitor.id))]
    prisoner = await db.scalar(sa.select(Prisoner).where(Prisoner.facility_id == one))
    assert prisoner is not None
    prisoner_id, prison_number = prisoner.id, prisoner.prison_number
    people = list(
        await db.scalars(
            sa.select(Visitor)
            .where(Visitor.household_id == household_id)
            .order_by(Visitor.birth_date)
        )
    )
    adult_id, child_id = people[0].id, people[-1].id
    await db.commit()
    callers = {
        (R.VISITS_OFFICER, "one"): (R.VISITS_OFFICER, one),
        (R.VISITS_MANAGER, "one"): (R.VISITS_MANAGER, one),
        (R.SAFEGUARDING_LEAD, "one"): (R.SAFEGUARDING_LEAD, one),
        (R.VISITS_OFFICER, "two"): (R.VISITS_OFFICER, two_id),
        (R.VISITS_MANAGER, "two"): (R.VISITS_MANAGER, two_id),
        (R.ADMIN, "all"): (R.ADMIN, None),
    }
    tokens = {}
    for index, (key, grant) in enumerate(callers.items()):
        email = f"caller{index}@example.org"
        await add_staff(db, email, [grant])
        tokens[key] = bearer(await staff_token(client, email))
    target_staff = await add_staff(db, "target@example.org", [(R.VISITS_OFFICER, one)])
    numbers = itertools.count(1)
    far = date(2030, 6, 3)

    async def fresh_information() -> uuid.UUID:
        item = FacilityInformation(
            facility_id=one,
            language=Language("en"),
            age_band=None,
            topic=f"t{next(numbers)}",
            title="T",
            body="B",
        )
        db.add(item)
        await db.commit()
        return item.id

    async def fresh_closure() -> uuid.UUID:
        item = Closure(facility_id=one, starts_on=far, ends_on=far, reason="matrix")
        db.add(item)
        await db.commit()
        return item.id

    async def fresh_feed() -> uuid.UUID:
        _, row = issue_token(
            db,
            TokenKind.FEED,
            staff_id=target_staff,
            lifetime=None,
            scope={"feed": "facility", "facility_id": str(one), "language": "de"},
        )
        await db.commit()
        return row.id

    async def fresh_prisoner() -> uuid.UUID:
        """A prisoner of their own, so that a release or transfer leaves the others as they are."""
        item = Prisoner(
            facility_id=one,
            prison_number=f"M-{next(numbers)}",
            given_name="M",
            family_name="Matrix",
            admission_date=date(2026, 1, 5),
            custody_status=CustodyStatus.SENTENCED,
        )
        db.add(item)
        await db.commit()
        return item.id

    async def fresh_restriction() -> uuid.UUID:
        item = PrisonerRestriction(
            prisoner_id=prisoner_id, code="no_child_contact", reason="matrix", recorded_by="t"
        )
        db.add(item)
        await db.commit()
        return item.id

    async def fresh_consent() -> uuid.UUID:
        item = GuardianConsent(
            adult_visitor_id=adult_id, child_visitor_id=child_id, reason="matrix", recorded_by="t"
        )
        db.add(item)
        await db.commit()
        return item.id

    async def request_for(method: str, path: str) -> tuple[str, dict[str, Any] | None]:
        """A valid request for the route, so that only authorization can refuse it."""
        n = next(numbers)
        ids = {
            "facility_id": one,
            "approval_id": approval_id,
            "staff_id": target_staff,
            "room_id": room_id,
            "template_id": template_id,
            "visit_id": visit_id,
            "prisoner_id": prisoner_id,
            "household_id": household_id,
            "visitor_id": adult_id,
            "flag": "check_pending",
        }
        if path.endswith(("/release", "/transfer")):
            ids["prisoner_id"] = await fresh_prisoner()
        if "{restriction_id}" in path:
            ids["restriction_id"] = await fresh_restriction()
        if "{consent_id}" in path:
            ids["consent_id"] = await fresh_consent()
        if "{information_id}" in path:
            ids["information_id"] = await fresh_information()
        if "{closure_id}" in path:
            ids["closure_id"] = await fresh_closure()
        if "{feed_id}" in path:
            ids["feed_id"] = await fresh_feed()
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", str(value))
        bodies: dict[tuple[str, str], dict[str, Any]] = {
            ("POST", "/prisoners"): {
                "prison_number": f"P-{n}",
                "given_name": "A",
                "family_name": "B",
                "admission_date": "2026-01-05",
                "custody_status": "remand",
            },
            ("POST", "/prisoners/import"): {
                "document": "prison_number;given_name;family_name;admission_date;custody_status\r\n"
                f"I-{n};A;B;05.01.2026;remand\r\n"
            },
            ("POST", "/restrictions"): {
                "code": "no_child_contact",
                "reason": "matrix check",
                "valid_until": "2031-01-01",
            },
            ("POST", "/lift"): {"reason": "matrix check"},
            ("PUT", "/closed-visits"): {"closed_visits_only": False, "reason": "matrix check"},
            ("POST", "/release"): {"released_on": "2030-06-03", "reason": "matrix check"},
            ("POST", "/transfer"): {
                "facility_id": str(two_id),
                "prison_number": f"T-{n}",
                "reason": "matrix check",
            },
            ("POST", "/households"): {
                "guardian_name": "Caller",
                "email": f"caller-{n}@example.org",
                "language": "de",
                "prison_number": prison_number,
                "people": [
                    {
                        "given_name": "C",
                        "family_name": "Caller",
                        "birth_date": "1990-01-01",
                        "relationship": "partner",
                        "is_guardian": True,
                    }
                ],
            },
            ("POST", "/safeguarding-flags"): {"flag": "check_pending", "reason": "matrix check"},
            ("POST", "/clearing"): {"reason": "matrix check"},
            ("PUT", "/visit-wish"): {"wish": None, "reason": "matrix check"},
            ("POST", "/guardian-consents"): {
                "adult_visitor_id": str(adult_id),
                "child_visitor_id": str(child_id),
                "reason": "matrix check",
            },
            ("POST", "/withdrawal"): {"reason": "matrix check"},
            ("POST", "/api/v1/staff/approvals/{approval_id}/decision"): {
                "status": "approved",
                "reason": "checked by phone",
            },
            ("POST", "/api/v1/admin/staff"): {
                "email": f"new{n}@example.org",
                "name": "New",
                "password": "a long enough password",
                "grants": [{"role": "visits_officer", "facility_id": str(one)}],
            },
            ("POST", "/api/v1/staff/facilities"): {
                "slug": f"f-{n}",
                "name": "F",
                "timezone": "Europe/Berlin",
                "street": "s",
                "postal_code": "1",
                "city": "c",
                "country": "DE",
                "email": "f@example.org",
            },
            ("PATCH", "/api/v1/staff/facilities/{facility_id}"): {"min_notice_hours": 24},
            ("PATCH", "/api/v1/admin/staff/{staff_id}"): {"name": f"Renamed {n}"},
            ("PUT", "/information"): {
                "language": "de",
                "topic": f"t{n}",
                "title": "T",
                "body": "B",
            },
            ("POST", "/rooms"): {
                "name": f"Room {n}",
                "capacity_tables": 1,
                "capacity_seats": 2,
                "capacity_children": 1,
            },
            ("PATCH", "/api/v1/staff/rooms/{room_id}"): {"description": f"changed {n}"},
            ("POST", "/slot-templates"): {
                "room_id": str(room_id),
                "visit_type": "regular",
                "weekday": 0,
                "start_time": f"{n % 24:02d}:00:00",
                "duration_minutes": 15,
                "valid_from": "2030-01-07",
                "valid_to": "2030-01-07",
            },
            ("PATCH", "/api/v1/staff/slot-templates/{template_id}"): {"reason": "matrix check"},
            ("POST", "/closures"): {
                "starts_on": "2031-01-01",
                "ends_on": "2031-01-01",
                "reason": "matrix",
            },
            ("PUT", "/rule-parameters"): {"overrides": {"max_children": 4}, "reason": "matrix"},
            ("POST", "/api/v1/staff/checks"): {
                "prisoner_id": str(prisoner_id),
                "slot_id": str(slot_id),
                "visitor_ids": visitor_ids,
            },
            ("POST", "/api/v1/staff/visits"): {
                "household_id": str(household_id),
                "prisoner_id": str(prisoner_id),
                "slot_id": str(slot_id),
                "visitor_ids": visitor_ids,
            },
            ("POST", "/api/v1/staff/visits/{visit_id}/decision"): {
                "decision": "approve",
                "reason": "matrix check",
            },
            ("POST", "/api/v1/staff/visits/{visit_id}/overrides"): {
                "rule_id": "CF-01",
                "reason": "matrix check",
            },
            ("POST", "/api/v1/staff/visits/{visit_id}/attendance"): {"outcome": "attended"},
            ("POST", "/api/v1/staff/visits/{visit_id}/cancel"): {"reason": "matrix check"},
            ("POST", "/api/v1/staff/visits/{visit_id}/reschedule"): {"slot_id": str(slot_id)},
            ("POST", "/feeds"): {"label": "matrix"},
            ("POST", "/closures/preview"): {
                "starts_on": "2031-01-01",
                "ends_on": "2031-01-01",
                "reason": "matrix",
            },
        }
        body = next(
            (
                b
                for (m, end), b in bodies.items()
                if m == method and (path == end or path.endswith(end))
            ),
            None,
        )
        if path.endswith("/day-sheet"):
            url += "?date=2030-06-03"
        if path.endswith("/figures"):
            url += "?month=2030-06"
        if method == "GET" and path.endswith("/households"):
            url += "?q=Caller"
        return url, body

    checked = 0
    for (method, path), allowed in STAFF_RULES.items():
        for (role, where), headers in tokens.items():
            url, body = await request_for(method, path)
            admin_ok = role == R.ADMIN and (method, path) not in LEAD_ONLY
            expected_ok = admin_ok or (where == "one" and role in allowed)
            response = await client.request(method, url, headers=headers, json=body)
            if expected_ok:
                # Authorization passed: any answer now concerns the request itself (the rules
                # may refuse a booking, a visit may not be in a state for the action).
                context = (method, path, role, where, response.text)
                assert response.status_code not in (401, 403), context
                assert response.status_code < 500, context
            elif where == "two" and path.startswith(PRISONER):
                # A prisoner held elsewhere is not found, not forbidden: staff of another
                # facility do not learn that the prisoner exists.
                assert response.status_code == 404, (method, path, role, where, response.text)
                assert response.json()["type"] == "urn:visits:problem:prisoner-not-found"
            else:
                assert response.status_code == 403, (method, path, role, where, response.text)
                assert response.json()["type"] == "urn:visits:problem:forbidden"
            checked += 1
    assert checked == len(STAFF_RULES) * len(tokens)

    # The audit trail is open to all staff, but shows only their facilities' events.
    params = {"object_type": "visitor_approval", "object_id": str(approval_id)}
    own = await client.get(
        "/api/v1/staff/audit", headers=tokens[(R.VISITS_OFFICER, "one")], params=params
    )
    foreign = await client.get(
        "/api/v1/staff/audit", headers=tokens[(R.VISITS_OFFICER, "two")], params=params
    )
    assert own.json()["total"] >= 1
    assert foreign.json()["total"] == 0
