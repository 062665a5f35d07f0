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


def normalise_reference(text: str) -> str:
    """What a person typed or said (lower case, spaces, missing dash) in canonical form."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(compact) != sum(GROUPS) or any(ch not in ALPHABET for ch in compact):
        raise ValueError("is not a visit reference such as K7QM-X3PD")
    return f"{compact[:4]}-{compact[4:]}"
