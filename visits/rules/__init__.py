"""The child-friendly rule engine: pure functions over plain data, no database, no HTTP.

``engine.evaluate`` checks a booking against every booking rule of the catalogue, ``alerts``
holds the scheduled-job rules, ``decision.decide`` turns results and staff overrides into an
outcome, and ``profiles`` loads the jurisdiction profiles the rules are parameterised by.
Results carry language-neutral ``texts.Text`` values (message keys of ``messages``), rendered
through the gettext catalogs when read.
"""
