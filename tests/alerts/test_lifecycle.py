"""Alert states: legal transitions, and the state named when one is refused."""

import pytest

from gridhub.alerts.lifecycle import IllegalTransition, next_state


def test_the_happy_path() -> None:
    state = "new"
    for action, expected in [
        ("dispatch", "dispatched"),
        ("ack", "acknowledged"),
        ("progress", "in_progress"),
        ("resolve", "resolved"),
    ]:
        state = next_state(state, action)
        assert state == expected


@pytest.mark.parametrize("closed", ["resolved", "cancelled"])
@pytest.mark.parametrize("action", ["ack", "assign", "progress", "resolve", "cancel"])
def test_nothing_happens_to_a_closed_alert(closed: str, action: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_state(closed, action)
    assert refused.value.state == closed
    assert closed in str(refused.value)


def test_acknowledging_twice_is_refused_but_assigning_asks_for_a_new_ack() -> None:
    with pytest.raises(IllegalTransition):
        next_state("acknowledged", "ack")
    assert next_state("in_progress", "assign") == "dispatched"
    assert next_state("dispatched", "cancel") == "cancelled"


def test_unknown_action_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        next_state("new", "explode")
