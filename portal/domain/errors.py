"""Exceptions that services raise and views turn into messages.

Each carries a Chinese message meant for the person in front of the screen, and a stable
``code`` that APIs (the kiosk sync answers) and tests rely on.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused an action; ``message`` says why and what to do."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class PermissionDenied(DomainError):
    code = "forbidden"

    def __init__(self, message: str = "您没有权限进行此操作。", **kwargs):
        super().__init__(message, **kwargs)


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, message: str = "找不到该记录。", **kwargs):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    """Someone else changed the record first, or it already exists."""

    code = "conflict"
