"""Visit references people can read over the phone: random, unambiguous, grouped.

``K7QM-X3PD``: 8 characters from 30 letters and digits without look-alikes (no 0/O, 1/I/L,
5/S), about 39 bits of randomness: not derived from any row id, so they reveal nothing and cannot
be guessed from another family's reference.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ23456789"
GROUPS = (4, 4)


def new_reference() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for size in GROUPS)
