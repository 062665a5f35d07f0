"""Facilities, their rooms, slot templates, slots and closures.

Each thing has its vocabulary name, as in every domain:
- ``controllers``: the HTTP API (public read API, staff API);
- ``service``: the changes staff make, checked, audited and flushed (never committed);
- ``schemas``: what the API reads and writes;
- ``queries``: reads that pages, controllers and other domains compose;
- ``presenters``: models to API schemas;
- ``slot_generation``: weekly templates to dated slots; ``reports``: the day sheet and figures.
"""
