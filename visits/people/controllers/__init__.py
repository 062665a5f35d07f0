"""The people HTTP API for staff, one module per subject: ``staff`` (prisoners, visitor
approvals, audit trails, notices and alerts) and ``safeguarding`` (the facts the child-protection
rules read)."""
