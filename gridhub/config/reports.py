"""The reports section: residents' report types and their routing, units, escalation, limits."""

from typing import Annotated, Literal

from limits import parse_many
from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from gridhub.config.alerts import EscalationLevel
from gridhub.config.sections import Section
from gridhub.i18n import DEFAULT_LANGUAGE, LANGUAGES
from gridhub.severity import Severity

HOUR = 3600.0


def _in_every_language(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language {unknown}; use {', '.join(LANGUAGES)}")
    missing = [language for language in LANGUAGES if not (value.get(language) or "").strip()]
    if missing:
        raise ValueError(f"give the text in {', '.join(missing)} too")
    return value


Words = Annotated[dict[str, str], AfterValidator(_in_every_language)]
"""A text in every language the hub speaks: ``{"zh-CN": "环境卫生", "en": "Sanitation"}``."""
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


def _rates(value: str) -> str:
    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(f"not a rate like '5/hour;20/day': {exc}") from None
    return value


Rates = Annotated[str, AfterValidator(_rates)]


class AttributeValue(Section):
    key: Code
    name: Words


class AttributeConfig(Section):
    """A question a report type asks (Open311 service definition attribute)."""

    code: Code
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool = False
    description: Words
    values: tuple[AttributeValue, ...] = ()

    @model_validator(mode="after")
    def _lists_have_values(self) -> "AttributeConfig":
        if self.datatype.endswith("valuelist") and not self.values:
            raise ValueError(f"attribute {self.code}: a {self.datatype} needs values")
        return self


class ServiceConfig(Section):
    """A report type: its names, group, questions, and where its reports go (a role at the
    report's grid, or a unit; neither: the operator sends each one)."""

    code: Code
    name: Words
    group: Words
    description: Words | None = None
    keywords: tuple[str, ...] = ()
    severity: Severity = "blue"
    role: str | None = Field(None, description="Sent to the report's grid's members of this role.")
    unit: str | None = Field(None, description="Sent to this unit's members.")
    attributes: tuple[AttributeConfig, ...] = ()

    @model_validator(mode="after")
    def _one_route(self) -> "ServiceConfig":
        if self.role and self.unit:
            raise ValueError(f"service {self.code}: route to a role or to a unit, not both")
        return self


class UnitConfig(Section):
    """A group of members a report type can be sent to (the town's land office)."""

    name: Words
    members: tuple[str, ...] = Field((), description="Member codes; empty: nobody yet.")


class LimitsConfig(Section):
    """Reports accepted per window (``limits`` rate strings); an API key raises them."""

    per_address: Rates = "5/hour;20/day"
    per_phone: Rates = "3/hour;10/day"
    per_key: Rates = "1000/hour"


def _words(zh: str, en: str) -> dict[str, str]:
    return {DEFAULT_LANGUAGE: zh, "en": en}


GOVERNANCE = _words("社会治理", "Community governance")
LIVING = _words("人居环境", "Living environment")
SERVICES_GROUP = _words("民生服务", "Public services")


def _default_services() -> tuple[ServiceConfig, ...]:
    def service(code: str, zh: str, en: str, group: dict[str, str], **route: str) -> ServiceConfig:
        return ServiceConfig(code=code, name=_words(zh, en), group=group, **route)

    cadre, worker = {"role": "village_cadre"}, {"role": "grid_worker"}
    return (
        service("dispute", "矛盾纠纷", "Dispute between neighbours", GOVERNANCE, **cadre),
        service("land", "征地拆迁", "Land acquisition", GOVERNANCE, unit="land_office"),
        service("development", "村社发展", "Village development", SERVICES_GROUP, **cadre),
        service("sanitation", "环境卫生", "Environment and sanitation", LIVING, **worker),
        service("public_order", "治安隐患", "Public order hazard", GOVERNANCE, role="police",
                severity="yellow"),
        service("safety", "安全隐患", "Safety hazard", LIVING, **worker, severity="yellow"),
        service("livelihood", "民生诉求", "Livelihood request", SERVICES_GROUP, **cadre),
        service("other", "其他", "Other", SERVICES_GROUP),
    )  # fmt: skip


def _default_units() -> dict[str, UnitConfig]:
    return {"land_office": UnitConfig(name=_words("镇国土所", "Town land office"))}


def _default_escalation() -> tuple[EscalationLevel, ...]:
    # A report is not an alarm: hours, not minutes, before the next level hears of it.
    return (
        EscalationLevel(role="grid_leader", ack_timeout_s=8 * HOUR),
        EscalationLevel(role="village_cadre", ack_timeout_s=24 * HOUR),
        EscalationLevel(role="town_operator", ack_timeout_s=48 * HOUR),
    )


class ReportsConfig(Section):
    services: tuple[ServiceConfig, ...] = Field(default_factory=_default_services, min_length=1)
    units: dict[Code, UnitConfig] = Field(default_factory=_default_units)
    handler_ack_timeout_s: float = Field(
        4 * HOUR, gt=0, description="Seconds the handlers have to take a report on."
    )
    escalation: tuple[EscalationLevel, ...] = Field(
        default_factory=_default_escalation,
        description="Who hears next when the handlers do not take it on (levels ranked above "
        "the handlers' role; all of them for a unit).",
    )
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    challenge_max_number: int = Field(
        50_000,
        ge=0,
        description="Proof-of-work size (ALTCHA) asked of posts without an API key; 0: none asked.",
    )
    challenge_ttl_s: int = Field(600, ge=30, description="Seconds a challenge may be answered in.")
    max_photos: int = Field(3, ge=0, le=10)
    max_photo_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest photo accepted.")
    photo_max_side: int = Field(2048, ge=256, description="Larger photos are scaled down to this.")
    max_description: int = Field(2000, ge=10)
    public_decimals: int = Field(
        3, ge=0, le=4, description="Decimals of a report's point shown in public (3: ~100 m)."
    )
    photo_link_ttl_s: int = Field(3600, ge=60, description="Lifetime of a signed photo link.")

    @field_validator("services")
    @classmethod
    def _unique(cls, value: tuple[ServiceConfig, ...]) -> tuple[ServiceConfig, ...]:
        codes = [service.code for service in value]
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise ValueError(f"service codes given twice: {', '.join(twice)}")
        return value

    @model_validator(mode="after")
    def _units_known(self) -> "ReportsConfig":
        unknown = sorted({s.unit for s in self.services if s.unit and s.unit not in self.units})
        if unknown:
            raise ValueError(f"services route to unknown units: {', '.join(unknown)}")
        return self
