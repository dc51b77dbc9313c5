"""Every action a service writes to the audit log has a label in words (issue 15, finding 8):
the log viewer never shows ``claim.approve`` or ``staff_user 1`` to a person."""

import ast
from pathlib import Path

from portal.domain.audit import ACTION_LABELS, ENTITY_LABELS

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _strings(node) -> set[str]:
    """The literal strings an argument can be: a constant, either side of ``a if c else b``, and
    f-strings over the audit's own decisions (``claim.{decision}``) left to the explicit list below."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def recorded():
    actions, entities = set(), set()
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                if len(node.args) > 1:
                    actions |= _strings(node.args[1])
                if len(node.args) > 2:
                    entities |= _strings(node.args[2])
    return actions, entities


def test_every_recorded_action_and_record_kind_has_a_label():
    actions, entities = recorded()
    assert len(actions) > 100
    # Written through f-strings: the review decisions and sign-out.
    actions |= {"claim.start_review", "claim.approve", "claim.reject", "claim.request_documents",
                "member.logout", "staff.logout"}
    assert sorted(actions - ACTION_LABELS.keys()) == []
    assert sorted(entities - ENTITY_LABELS.keys()) == []

