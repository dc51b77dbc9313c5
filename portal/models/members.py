"""Members (职工、会员): the people the portal serves, identified by their ID number."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.identity import IdNumber
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime
from portal.models.people import PersonalDataMixin
from portal.models.unions import Union
from portal.pii import EncryptedText, lookup_hash

if TYPE_CHECKING:
    from portal.models.hardship import HardshipFamily

# Occupations offered in forms; gig occupations set ``is_gig_worker`` by default.
GIG_OCCUPATIONS = ("快递员", "外卖配送员", "网约车司机", "货车司机")
OTHER_OCCUPATIONS = ("环卫工人", "企业职工", "机关事业单位职工", "个体工商户", "其他")
SANITATION_OCCUPATION = "环卫工人"


class Member(PersonalDataMixin, UserMixin, TimestampMixin, db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # Encrypted at rest; ``id_number_hash`` (keyed HMAC) is what is unique and searched.
    id_number: Mapped[str] = mapped_column(EncryptedText)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    gender: Mapped[str] = mapped_column(String(1))  # M / F, from the ID number
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str | None] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)
    occupation: Mapped[str | None] = mapped_column(String(40))
    is_gig_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    has_social_insurance: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    # People first seen at a kiosk are confirmed by a text before any cover starts.
    is_verified: Mapped[bool] = mapped_column(Boolean, default=True)
    region_note: Mapped[str | None] = mapped_column(String(120))  # for staff, never a refusal
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Part of every session's user id (``get_id``): raising it (sign-out) ends every session of the
    # member on the server, a cookie copied from a shared kiosk included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    union: Mapped[Union | None] = relationship()
    # The family's record on the hardship register (建档困难职工家庭), if it ever had one.
    hardship: Mapped[HardshipFamily | None] = relationship(back_populates="member", uselist=False)

    role = Role.MEMBER
    actor_type = "member"

    def get_id(self) -> str:
        return f"m:{self.id}:{self.session_generation or 0}"

    @property
    def display_name(self) -> str:
        return self.name

    def set_identity(self, id_number: IdNumber) -> None:
        """Store a checked ID number with what it tells (gender, birth date, a region note)."""
        super().set_identity(id_number)
        self.region_note = id_number.region_note

    @property
    def is_hardship_family(self) -> bool:
        """On the hardship register now (registered or reviewed, not removed): what work-study and
        childcare priority read. Lists of members load ``hardship`` with the members."""
        return self.hardship is not None and self.hardship.is_active

    @property
    def is_sanitation_worker(self) -> bool:
        return self.occupation == SANITATION_OCCUPATION

    @classmethod
    def by_id_number(cls, id_number: str) -> Member | None:
        return db.session.scalar(select(cls).where(cls.id_number_hash == lookup_hash(id_number)))

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.masked_name}>"
