"""Accounts and access: staff, households, tokens, sign-in, authorization."""
