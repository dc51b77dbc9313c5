"""The state-machine helper every status column goes through."""

from enum import StrEnum

import pytest

from portal.domain.errors import Conflict
from portal.domain.i18n import N_
from portal.domain.states import StateMachine


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    OFF = "off"


class Switch(StrEnum):
    GO = "go"
    STOP = "stop"
    CUT = "cut"


MACHINE = StateMachine(
    name="light", statuses=Light,
    labels={Light.RED: N_("红灯"), Light.GREEN: N_("绿灯"), Light.OFF: N_("熄灭")},
    transitions={(Light.RED, Switch.GO): Light.GREEN, (Light.GREEN, Switch.STOP): Light.RED,
                 (Light.RED, Switch.CUT): Light.OFF, (Light.GREEN, Switch.CUT): Light.OFF},
    action_labels={Switch.GO: N_("通行"), Switch.STOP: N_("停止"), Switch.CUT: N_("断电")},
)


class Record:
    status = "red"


def test_a_record_moves_along_an_allowed_transition():
    record = Record()
    assert MACHINE.move(record, Switch.GO) == Light.GREEN
    assert record.status == "green"


def test_an_illegal_move_is_refused_with_the_labels_and_leaves_the_record_alone():
    record = Record()
    record.status = "off"
    with pytest.raises(Conflict) as raised:
        MACHINE.move(record, Switch.GO)
    assert raised.value.code == "light_state"
    assert raised.value.message == "当前状态为“熄灭”，不能通行。请刷新页面查看最新状态。"
    assert record.status == "off"


def test_the_table_answers_what_is_allowed_and_what_is_final():
    assert MACHINE.allowed_actions("red") == [Switch.GO, Switch.CUT]
    assert MACHINE.terminal() == {Light.OFF}


def test_a_status_without_a_label_is_refused_when_the_machine_is_built():
    with pytest.raises(ValueError, match="without a label"):
        StateMachine(name="x", statuses=Light, labels={Light.RED: "红"}, transitions={}, action_labels={})
