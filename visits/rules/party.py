"""The party as seen on the visit date (CF-06): ages, adults, children and what they occupy.

Everything that counts people counts them here, so a seat in CF-07b and a child in CF-18 mean
the same thing everywhere, and the booking service can take exactly ``usage`` from a slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from visits.rules.ages import age_on
from visits.rules.model import PartyMember
from visits.rules.profiles import Profile


@dataclass(frozen=True)
class Person:
    member: PartyMember
    age: int  # completed years on the visit date; 0 for a birth date after it (CF-06 fails)


@dataclass(frozen=True)
class Usage:
    """What a booking takes from a slot: one table per family, seats, children."""

    tables: int
    seats: int
    children: int


@dataclass(frozen=True)
class Party:
    visit_date: date
    profile: Profile
    people: tuple[Person, ...]
    unborn: tuple[str, ...]  # visitor ids whose birth date is after the visit date

    @classmethod
    def on(cls, members: Sequence[PartyMember], visit_date: date, profile: Profile) -> Party:
        ids = [m.visitor_id for m in members]
        if len(set(ids)) != len(ids):
            raise ValueError("a visitor appears twice in the party")
        people = tuple(
            Person(m, age_on(m.birth_date, visit_date) if m.birth_date <= visit_date else 0)
            for m in members
        )
        unborn = tuple(m.visitor_id for m in members if m.birth_date > visit_date)
        return cls(visit_date, profile, people, unborn)

    @property
    def adults(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.age >= self.profile.adult_age)

    @property
    def children(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.age < self.profile.adult_age)

    @property
    def leads(self) -> tuple[Person, ...]:
        """Visitors old enough to accompany children (CF-01)."""
        return tuple(p for p in self.people if p.age >= self.profile.lead_min_age)

    def usage(self) -> Usage:
        seats = sum(1 for p in self.people if p.age >= self.profile.seat_age)
        return Usage(tables=1 if self.people else 0, seats=seats, children=len(self.children))

    def ages(self) -> dict[str, int]:
        return {p.member.visitor_id: p.age for p in self.people}


def party_usage(members: Sequence[PartyMember], visit_date: date, profile: Profile) -> Usage:
    """Tables, seats and children a party takes from a slot on ``visit_date``."""
    return Party.on(members, visit_date, profile).usage()
