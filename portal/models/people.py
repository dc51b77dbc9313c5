"""What every record of a person shares: encrypted identity and mobile, masked for display."""

from __future__ import annotations

from datetime import date

from portal.domain.i18n import N_
from portal.domain.identity import IdNumber, age_on, mask_id_number, mask_mobile, mask_name
from portal.pii import lookup_hash


class PersonalDataMixin:
    """For models with ``name`` and any of ``id_number``/``id_number_hash``, ``gender``,
    ``birth_date`` and ``mobile``/``mobile_hash`` columns (members, students, children, adults).

    Values are written through ``set_identity``/``set_mobile`` so the lookup hash never drifts
    from the encrypted value, and pages read the ``masked_*`` views, never the raw ones.
    """

    def set_identity(self, id_number: IdNumber) -> None:
        self.id_number = id_number.value
        self.id_number_hash = lookup_hash(id_number.value)
        self.gender = id_number.gender
        self.birth_date = id_number.birth_date

    def set_mobile(self, mobile: str | None) -> None:
        self.mobile = mobile
        self.mobile_hash = lookup_hash(mobile) if mobile else None

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(getattr(self, "id_number", None))

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(getattr(self, "mobile", None))

    @property
    def masked_name(self) -> str:
        return mask_name(getattr(self, "name", None))

    @property
    def gender_label(self) -> str:
        return N_("男") if getattr(self, "gender", None) == "M" else N_("女")

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)
