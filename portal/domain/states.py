"""State machines: every status a record can have, and the only moves between them.

Each area declares its statuses as a ``StrEnum`` with Chinese labels and a transition table
``{(from, action): to}``; a ``StateMachine`` built from them is the one place that says whether a
move is allowed. Services move records with ``machine.move(record, action)`` instead of
assigning ``status``, and the model's CHECK constraint (``portal.models.base.status_check``) is
generated from the same enum, so the database refuses a status the code does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from portal.domain.errors import Conflict
from portal.domain.i18n import N_

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)

ILLEGAL_MOVE = N_("当前状态为“%(status)s”，不能%(action)s。请刷新页面查看最新状态。")


@dataclass(frozen=True)
class StateMachine(Generic[S, A]):
    """The statuses of one kind of record, their labels, and the allowed moves between them."""

    name: str  # e.g. "childcare_registration"; refusals carry the code f"{name}_state"
    statuses: type[S]
    labels: Mapping[S, str]  # N_-marked Chinese labels, one per status
    transitions: Mapping[tuple[S, A], S]
    action_labels: Mapping[A, str]  # N_-marked verbs ("取消", "确认名额"), used in refusals
    initial: S | None = None

    def __post_init__(self):
        missing = [status for status in self.statuses if status not in self.labels]
        if missing:
            raise ValueError(f"{self.name}: statuses without a label: {missing}")
        unknown = [action for (_, action) in self.transitions if action not in self.action_labels]
        if unknown:
            raise ValueError(f"{self.name}: actions without a label: {sorted(set(unknown))}")

    def label(self, status: str) -> str:
        return self.labels[self.statuses(status)]

    def can(self, current: str, action: A) -> bool:
        return (self.statuses(current), action) in self.transitions

    def allowed_actions(self, current: str) -> list[A]:
        status = self.statuses(current)
        return [action for (source, action) in self.transitions if source == status]

    def next(self, current: str, action: A) -> S:
        """The status after ``action``; ``Conflict`` when the record is not in a state that allows it."""
        status = self.statuses(current)
        try:
            return self.transitions[(status, action)]
        except KeyError:
            raise Conflict(ILLEGAL_MOVE, code=f"{self.name}_state", status=self.labels[status],
                           action=self.action_labels[action]) from None

    def move(self, record, action: A, *, attribute: str = "status") -> S:
        """Move ``record`` along ``action`` (refusing an illegal move) and return its new status."""
        target = self.next(getattr(record, attribute), action)
        setattr(record, attribute, target)
        return target

    def terminal(self) -> set[S]:
        sources = {source for (source, _) in self.transitions}
        return {status for status in self.statuses if status not in sources}
