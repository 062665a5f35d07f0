"""Local stand-ins for outside services, for demos and tests."""
