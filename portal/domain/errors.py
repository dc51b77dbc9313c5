"""Exceptions that services raise and views turn into messages.

Each carries a marked msgid (Chinese, meant for the person in front of the screen) with its
parameters kept apart, so a page translates it into the reader's language
(``portal.web.error_text``), and a stable ``code`` that APIs (the kiosk sync answers) and tests
rely on. ``message`` is the Chinese text with its parameters filled in, for logs, the CLI and
the kiosk protocol, whose messages are Chinese by contract.
"""

from __future__ import annotations

from portal.domain.i18n import N_, interpolate


class DomainError(Exception):
    """A rule refused an action; the message says why and what to do."""

    code = "invalid"
    default_message = N_("操作未能完成，请检查后重试。")

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None,
                 **params):
        self.msgid = message or self.default_message
        self.params = params
        self.field = field
        # More than one field at fault (a form missing several answers): (field, msgid) for each, so a
        # page can put every message under its own field at once instead of one at a time.
        self.problems: list[tuple[str, str]] = []
        if code:
            self.code = code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return interpolate(self.msgid, self.params)


class InvalidInput(DomainError):
    code = "invalid_input"


class PermissionDenied(DomainError):
    code = "forbidden"
    default_message = N_("您没有权限进行此操作。")


class NotFound(DomainError):
    code = "not_found"
    default_message = N_("找不到该记录。")


class Conflict(DomainError):
    """Someone else changed the record first, or it already exists."""

    code = "conflict"
