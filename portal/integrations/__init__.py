"""Adapters to the world outside: SMS providers, file storage."""
