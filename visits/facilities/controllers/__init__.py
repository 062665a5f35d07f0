"""The facilities HTTP API, one module per audience.

A package because the public read API (``public``) and the staff API (``staff``) answer
different callers, with different guards, and together would be one long module.
"""
