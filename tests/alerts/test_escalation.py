"""The escalation ladder as a pure machine: driven by ``now``, no sleeping."""

from datetime import UTC, datetime, timedelta

from gridhub.alerts.escalation import Level, Policy, begin, on_timeout
from gridhub.config.alerts import AlertsConfig

T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
POLICY = Policy(
    (
        Level("grid_worker", 60, repeats=2),
        Level("grid_leader", 120),
        Level("village_cadre", 180),
        Level("town_operator", 300),
    )
)


def test_the_first_level_is_notified_with_its_timeout() -> None:
    step = begin(POLICY, T0)
    assert (step.action, step.role, step.level) == ("notify", "grid_worker", 0)
    assert step.due_at == T0 + timedelta(seconds=60)


def test_a_level_is_reminded_its_repeats_then_the_next_level_is_asked() -> None:
    now, step = T0, begin(POLICY, T0)
    seen = []
    while step.due_at is not None:
        now = step.due_at
        step = on_timeout(POLICY, step.level, step.reminders, now)
        seen.append((step.action, step.role, step.reminders, now - T0))
    assert seen == [
        ("remind", "grid_worker", 1, timedelta(seconds=60)),
        ("remind", "grid_worker", 2, timedelta(seconds=120)),
        ("escalate", "grid_leader", 0, timedelta(seconds=180)),
        ("escalate", "village_cadre", 0, timedelta(seconds=300)),
        ("escalate", "town_operator", 0, timedelta(seconds=480)),
        ("exhausted", "town_operator", 0, timedelta(seconds=780)),
    ]


def test_levels_with_nobody_on_duty_are_skipped() -> None:
    staffed = {"grid_leader", "town_operator"}
    step = begin(POLICY, T0, staffed)
    assert step.role == "grid_leader"
    step = on_timeout(POLICY, step.level, 0, step.due_at, staffed)
    assert (step.action, step.role) == ("escalate", "town_operator")
    assert begin(POLICY, T0, set()).action == "exhausted"


def test_policy_survives_the_round_trip_through_the_alert_row() -> None:
    assert Policy.from_dict(POLICY.to_dict()) == POLICY


def test_default_policies_are_shorter_for_higher_severity() -> None:
    config = AlertsConfig()
    first = {s: config.policies[s].levels[0].ack_timeout_s for s in config.policies}
    assert first["red"] < first["orange"] < first["yellow"] < first["blue"]
    # configuring one severity keeps the others
    partial = AlertsConfig.model_validate(
        {"policies": {"red": {"levels": [{"role": "grid_leader", "ack_timeout_s": 5}]}}}
    )
    assert partial.policies["red"].levels[0].role == "grid_leader"
    assert partial.policies["blue"] == config.policies["blue"]
