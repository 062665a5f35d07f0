"""Request and response bodies for calendar feeds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from visits.enums import Language

Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class HouseholdFeedIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label | None = None


class StaffFeedIn(msgspec.Struct, forbid_unknown_fields=True):
    """A facility's schedule, or one room's with ``room_id``; ``language`` defaults to the
    request's language."""

    label: Label | None = None
    room_id: uuid.UUID | None = None
    language: Language | None = None


class FeedOut(msgspec.Struct, kw_only=True):
    """A feed subscription. The token itself is shown only once, when it is created."""

    id: uuid.UUID
    kind: str  # household | facility | room
    label: str | None
    facility_id: uuid.UUID | None
    room_id: uuid.UUID | None
    language: str
    owner: str | None  # the member of staff it belongs to (staff feeds)
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class FeedCreatedOut(FeedOut, kw_only=True):
    """``url`` is based on the public URL; ``webcal_url`` opens a subscription dialogue."""

    token: str
    url: str
    webcal_url: str
