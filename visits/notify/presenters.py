"""Notices as staff may see them: where a message went, masked, and what went wrong, with the
recipient's address masked in it too. A notice's full address and its values (``params``, a
sign-in code among them) are never shown."""

from __future__ import annotations

from visits.db.models import Notice
from visits.enums import ContactChannel
from visits.notify.sms import masked

HIDDEN = "…"


def masked_address(channel: ContactChannel, address: str) -> str:
    """Enough to tell addresses apart, not enough to write to them: ``a…@example.org`` for an
    e-mail address, ``+491…78`` for a mobile number."""
    if channel is ContactChannel.SMS:
        return masked(address)
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return HIDDEN
    return f"{local[0]}{HIDDEN}@{domain}"


def shown_error(notice: Notice) -> str | None:
    """The notice's ``last_error`` with its address masked (a provider's refusal may quote the
    number or address it refused)."""
    if not notice.last_error or not notice.address:
        return notice.last_error or None
    return notice.last_error.replace(notice.address, masked_address(notice.channel, notice.address))
