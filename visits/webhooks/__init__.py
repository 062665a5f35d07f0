"""Inbound webhooks from outside services, each verified before it is read."""
