"""The alerts section: escalation policies per severity, channels, delivery retries, rules."""

from pydantic import Field, HttpUrl, SecretStr, field_validator

from gridhub.config.sections import Section
from gridhub.severity import SEVERITIES, Severity

ESCALATION_ROLES = ("grid_worker", "grid_leader", "village_cadre", "town_operator")


class EscalationLevel(Section):
    """One rung of the ladder: who is notified, how long they have to acknowledge, reminders."""

    role: str = Field(description="Roster role notified at this level, e.g. grid_worker.")
    ack_timeout_s: float = Field(gt=0, description="Seconds to acknowledge before the next step.")
    repeats: int = Field(0, ge=0, le=20, description="Reminders at this level before moving up.")
    notify: tuple[str, ...] = Field((), description="Extra apprise URLs notified at this level.")
    members: tuple[str, ...] = Field(
        (), description="Members (by code) told at this level besides the role's: a unit."
    )


class EscalationPolicy(Section):
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)


def _ladder(*timeouts: float, repeats: int = 1) -> EscalationPolicy:
    return EscalationPolicy(
        levels=tuple(
            EscalationLevel(role=role, ack_timeout_s=timeout, repeats=repeats)
            for role, timeout in zip(ESCALATION_ROLES, timeouts, strict=True)
        )
    )


def _default_policies() -> dict[str, EscalationPolicy]:
    # Higher severity, shorter timeouts: a red alert reaches the town within ~6 minutes.
    return {
        "blue": _ladder(1800, 3600, 7200, 14400, repeats=0),
        "yellow": _ladder(600, 1200, 1800, 3600),
        "orange": _ladder(300, 600, 900, 1800),
        "red": _ladder(60, 120, 180, 300),
    }


class WebhookConfig(Section):
    url: HttpUrl
    secret: SecretStr = Field(description="Key of the X-Gridhub-Signature HMAC-SHA256.")
    min_severity: Severity = "blue"


class DeliveryConfig(Section):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    lease_s: float = Field(
        30.0, gt=0, description="A claimed delivery not finished by then is retried."
    )
    send_timeout_s: float = Field(10.0, gt=0)
    workers: int = Field(8, ge=1, le=64, description="Deliveries sent in parallel.")
    batch: int = Field(2000, ge=1)


class PatrolConfig(Section):
    interval_minutes: int = Field(120, ge=1, description="Default; a grid's own overrides it.")
    duty: str = Field("08:00-20:00", description="When grids must be patrolled (a duty spec).")
    device_silent_minutes: int = Field(30, ge=1)
    check_every_s: float = Field(60.0, gt=0)


class AlertsConfig(Section):
    policies: dict[str, EscalationPolicy] = Field(default_factory=_default_policies)
    webhooks: tuple[WebhookConfig, ...] = ()
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    patrol: PatrolConfig = Field(default_factory=PatrolConfig)
    poll_interval_s: float = Field(1.0, gt=0, description="Dispatcher wake-up without a signal.")
    integration_topic: str = "alerts/events"
    live_events_keep_hours: int = Field(24, ge=1)

    @field_validator("policies")
    @classmethod
    def _every_severity(cls, value: dict[str, EscalationPolicy]) -> dict[str, EscalationPolicy]:
        unknown = sorted(set(value) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"unknown severity {unknown}; use {', '.join(SEVERITIES)}")
        return {**_default_policies(), **value}  # a severity not configured keeps its default
