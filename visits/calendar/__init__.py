"""Calendars: iCalendar invites (iTIP/iMIP), e-mail delivery and subscription feeds."""
