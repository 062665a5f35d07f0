"""Rule severities (see the catalogue): kept apart so profiles and results can both use them."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How a rule result weighs: refuse, warn, inform the family, or alert staff later."""

    HARD = "HARD"
    SOFT = "SOFT"
    INFO = "INFO"
    ALERT = "ALERT"
