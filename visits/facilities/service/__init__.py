"""The changes staff make to a facility's set-up, one module per thing they change.

A package because facilities, rooms, slot templates, closures and rule parameters each have
their own checks, and one module holding them all would be long. Services check roles, raise
domain errors, audit, and flush; the request boundary commits (``visits.db.transaction``).
"""
