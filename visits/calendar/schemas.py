"""Request and response bodies for calendar feeds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from visits.enums import Language
from visits.openapi import schema_name
from visits.pagination import Page
from visits.validation import FieldProblem, line_problems, single_line

Label = Annotated[
    str,
    single_line(100),
    msgspec.Meta(
        description="A name for the subscription, to tell them apart (one line, no controls).",
        examples=["Phone"],
    ),
]


class HouseholdFeedIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label | None = None

    def problems(self) -> list[FieldProblem]:
        return line_problems(self)


class StaffFeedIn(msgspec.Struct, forbid_unknown_fields=True):
    """A facility's schedule, or one room's with ``room_id``; ``language`` defaults to the
    request's language."""

    label: Label | None = None
    room_id: uuid.UUID | None = None
    language: Language | None = None

    def problems(self) -> list[FieldProblem]:
        return line_problems(self)


class FeedOut(msgspec.Struct, kw_only=True):
    """A feed subscription. The token itself is shown only once, when it is created."""

    id: uuid.UUID
    kind: Literal["household", "facility", "room"]
    label: str | None
    facility_id: uuid.UUID | None
    room_id: uuid.UUID | None
    language: Annotated[str, msgspec.Meta(examples=["de"])]
    owner: str | None  # the member of staff it belongs to (staff feeds)
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


FeedPage = Annotated[Page[FeedOut], schema_name("FeedPage")]


class FeedCreatedOut(FeedOut, kw_only=True):
    """``url`` is based on the public URL; ``webcal_url`` opens a subscription dialogue."""

    token: Annotated[
        str,
        msgspec.Meta(
            description="The feed's secret (256 random bits); shown only now, stored hashed.",
            examples=["vf_Xk3q9mZ0c7Rr2b8YwV1tLhN4sPaEoJ6uGdKfQiB5n0M"],
        ),
    ]
    url: Annotated[
        str,
        msgspec.Meta(
            description="The feed for calendar apps that take an address.",
            examples=[
                "https://visits.example/feeds/vf_Xk3q9mZ0c7Rr2b8YwV1tLhN4sPaEoJ6uGdKfQiB5n0M.ics"
            ],
        ),
    ]
    webcal_url: Annotated[
        str,
        msgspec.Meta(
            description="The same as `webcal://`, which opens a subscription dialogue.",
            examples=[
                "webcal://visits.example/feeds/vf_Xk3q9mZ0c7Rr2b8YwV1tLhN4sPaEoJ6uGdKfQiB5n0M.ics"
            ],
        ),
    ]
