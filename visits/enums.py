"""The domain's closed vocabularies, shared by the database, the rule engine and the API."""

from enum import StrEnum

from visits.i18n import LANGUAGES, N_


class RoomFeature(StrEnum):
    PLAY_CORNER = "play_corner"
    BABY_CHANGING = "baby_changing"
    BOOKS_GAMES = "books_games"
    TEEN_ZONE = "teen_zone"
    OUTDOOR = "outdoor"
    MOVABLE_FURNITURE = "movable_furniture"
    STEP_FREE = "step_free"


class AgeBand(StrEnum):
    """Child age bands of the rule catalogue (CF-18, CF-21), inclusive years."""

    INFANT = "0-2"
    PRESCHOOL = "3-5"
    SCHOOL = "6-11"
    TEEN = "12-17"

    @property
    def bounds(self) -> tuple[int, int]:
        low, high = self.value.split("-")
        return int(low), int(high)

    @classmethod
    def for_age(cls, years: int) -> "AgeBand | None":
        for band in cls:
            low, high = band.bounds
            if low <= years <= high:
                return band
        return None


class VisitType(StrEnum):
    REGULAR = "regular"
    CHILD_FAMILY = "child_family"
    FAMILY_DAY = "family_day"
    PARENT_CHILD_GROUP = "parent_child_group"
    LONG_VISIT = "long_visit"
    VIDEO = "video"


VISIT_TYPE_NAMES: dict[VisitType, str] = {
    VisitType.REGULAR: N_("Regular visit"),
    VisitType.CHILD_FAMILY: N_("Child and family visit"),
    VisitType.FAMILY_DAY: N_("Family day"),
    VisitType.PARENT_CHILD_GROUP: N_("Parent and child group"),
    VisitType.LONG_VISIT: N_("Long visit"),
    VisitType.VIDEO: N_("Video visit"),
}
"""The one name of each visit type (gettext msgids), wherever a visit type is named."""


class BookableBy(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"


class SlotStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CustodyStatus(StrEnum):
    REMAND = "remand"
    SENTENCED = "sentenced"


class RestrictionCode(StrEnum):
    """A safeguarding restriction on a prisoner (CF-05); any of them refers a visit with a
    child to the safeguarding lead."""

    NO_CHILD_CONTACT = "no_child_contact"
    CHILD_VISITORS_VETTED = "child_visitors_vetted"


class Relationship(StrEnum):
    """How a visitor is related to the prisoner; CF-10 keys the child contingent on this."""

    CHILD = "child"
    STEPCHILD = "stepchild"
    FOSTER_CHILD = "foster_child"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    PARTNER = "partner"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"
    FRIEND = "friend"
    ESCORT = "escort"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class VisitStatus(StrEnum):
    HELD = "held"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Attendance(StrEnum):
    """What the gate records for a confirmed visit: the party came (on time or late), or not."""

    ATTENDED = "attended"
    LATE = "late"
    NO_SHOW = "no_show"


# A visit in one of these states holds capacity in its slot.
ACTIVE_VISIT_STATES = (VisitStatus.HELD, VisitStatus.REQUESTED, VisitStatus.CONFIRMED)


class Channel(StrEnum):
    ONLINE = "online"
    PHONE = "phone"
    IN_PERSON = "in_person"
    SYSTEM = "system"


class Ledger(StrEnum):
    """Allowance ledgers (CF-10, CF-11, CF-23, CF-24)."""

    REGULAR = "regular"
    CHILD = "child"
    FAMILY_PROGRAMME = "family_programme"
    VIDEO = "video"


class NotifyBy(StrEnum):
    """How a household wants to be told about its visits; the other medium stands in when the
    chosen one is missing (no address, or a mobile number not yet confirmed)."""

    EMAIL = "email"
    SMS = "sms"
    BOTH = "both"


class NoticeKind(StrEnum):
    """What a family is told (an outbox row's kind): a sign-in code, a change to a visit that
    the family did not make itself, staff's decision on a visitor approval, or that staff set
    up its account."""

    SIGN_IN_CODE = "sign_in_code"
    PHONE_CODE = "phone_code"  # confirms a mobile number
    VISIT_BOOKED = "visit_booked"  # confirmed when booked (by SMS: the e-mail is the invite)
    VISIT_CONFIRMED = "visit_confirmed"  # staff approved a request
    VISIT_REJECTED = "visit_rejected"  # staff turned a request down
    REQUEST_EXPIRED = "request_expired"  # nobody decided before the cut-off
    VISIT_CANCELLED = "visit_cancelled"  # by staff
    VISIT_MOVED = "visit_moved"  # by staff
    VISIT_AFFECTED = "visit_affected"  # a closure or a changed schedule: staff will get in touch
    APPROVAL_GIVEN = "approval_given"  # staff approved a visitor for a prisoner (CF-04)
    APPROVAL_DENIED = "approval_denied"  # staff turned a visitor approval down
    ACCOUNT_CREATED = "account_created"  # staff set up the household for a caller


class ReminderState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


Language = StrEnum("Language", {code.upper(): code for code in LANGUAGES})  # type: ignore[misc]
"""A language a household, an information text or a reminder is in: one per catalog, so a new
language needs no code (mypy cannot see members made from data: write ``Language("de")``)."""


class ActorType(StrEnum):
    STAFF = "staff"
    HOUSEHOLD = "household"
    SYSTEM = "system"


class StaffRole(StrEnum):
    VISITS_OFFICER = "visits_officer"
    VISITS_MANAGER = "visits_manager"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    ADMIN = "admin"


class SafeguardingFlag(StrEnum):
    """A safeguarding flag a safeguarding lead records on a visitor (CF-05): any flag sends
    the visitor's visits to staff review; the family is only asked to contact the facility."""

    NO_CHILD_CONTACT = "no_child_contact"  # the visitor may not be in contact with children
    CHECK_PENDING = "check_pending"  # a background check (e.g. youth office) is not back yet
    COURT_ORDER = "court_order"  # a court order limits the visitor's contact


class TokenKind(StrEnum):
    STAFF = "staff"
    HOUSEHOLD = "household"
    FEED = "feed"  # read-only calendar subscriptions


class ContactChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
