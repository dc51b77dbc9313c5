"""Staff accounts: one role each, scoped to the organisation they work for."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain.roles import TWO_FACTOR_REQUIRED_ROLES, Role
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime
from portal.models.unions import Union
from portal.pii import EncryptedText


def password_method() -> str:
    """The configured hash (``PASSWORD_HASH_METHOD``); werkzeug's scrypt outside an application."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


class StaffUser(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    # The organisation the account acts for: a union (officers, organisers) or none (federation-wide).
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)
    # Enterprise contacts (role ``enterprise``) act only for this caring enterprise.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Part of every session's user id (``get_id``): raising it ends every session of the account on
    # the server (sign-out, a new password, a disabled account), cookies copied earlier included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by an administrator's password reset (and for accounts an administrator creates): the
    # account can open nothing but the password page until its holder chooses a password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # TOTP two-factor: the secret encrypted like personal data; the last time-step accepted (a code
    # is never accepted twice); wrong codes counted per account, with a pause once too many.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_pending_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    totp_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    totp_locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    union: Mapped[Union | None] = relationship()

    actor_type = "staff"

    def get_id(self) -> str:
        return f"s:{self.id}:{self.session_generation or 0}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def needs_two_factor(self) -> bool:
        """Administrators and reviewers move money and accounts: they must use a second factor."""
        return self.role_enum in TWO_FACTOR_REQUIRED_ROLES

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())
        # A new password ends every session signed in with the old one.
        self.session_generation = (self.session_generation or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<StaffUser {self.username} {self.role}>"


class StaffRecoveryCode(db.Model):
    """One of the ten one-time recovery codes of an account's two-factor, kept as a keyed hash."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
