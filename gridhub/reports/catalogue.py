"""The report types (Open311 services) from the settings: names in each language, the
questions each asks, and where its reports go."""

from dataclasses import dataclass
from typing import Any

from gridhub.config.reports import ReportsConfig, ServiceConfig, UnitConfig
from gridhub.geo.roles import ROLE_NAMES
from gridhub.i18n import language_of


class UnknownService(LookupError):
    """No report type with that code."""


@dataclass(frozen=True)
class Catalogue:
    services: dict[str, ServiceConfig]
    units: dict[str, UnitConfig]

    @classmethod
    def of(cls, config: ReportsConfig) -> "Catalogue":
        """The catalogue of ``config``; ValueError if a type routes to an unknown role."""
        for service in config.services:
            if service.role and service.role not in ROLE_NAMES:
                raise ValueError(
                    f"reports.services {service.code}: unknown role {service.role!r} "
                    f"(use one of {', '.join(ROLE_NAMES)})"
                )
        return cls({s.code: s for s in config.services}, dict(config.units))

    def service(self, code: str) -> ServiceConfig:
        try:
            return self.services[code]
        except KeyError:
            known = ", ".join(self.services)
            raise UnknownService(f"unknown service_code {code!r}; use one of {known}") from None

    def name(self, code: str, language: str) -> str:
        service = self.services.get(code)
        return code if service is None else service.name[language_of(language)]

    def listing(self, language: str) -> list[dict[str, Any]]:
        """GeoReport v2 ``services``: one entry per type."""
        lang = language_of(language)
        return [
            {
                "service_code": s.code,
                "service_name": s.name[lang],
                "description": (s.description or s.name)[lang],
                "metadata": bool(s.attributes),
                "type": "realtime",
                "keywords": ",".join(s.keywords),
                "group": s.group[lang],
            }
            for s in self.services.values()
        ]

    def definition(self, code: str, language: str) -> dict[str, Any]:
        """GeoReport v2 service definition: the questions the type asks."""
        service, lang = self.service(code), language_of(language)
        return {
            "service_code": service.code,
            "attributes": [
                {
                    "variable": True,
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "datatype_description": None,
                    "order": order,
                    "description": a.description[lang],
                    "values": [{"key": v.key, "name": v.name[lang]} for v in a.values],
                }
                for order, a in enumerate(service.attributes, start=1)
            ],
        }

    def answers(self, code: str, given: dict[str, list[str]]) -> dict[str, Any]:
        """The answers to a type's questions (``attribute[code]``), checked: ValueError names
        a missing required answer, an unknown question or a value not offered."""
        service = self.service(code)
        asked = {a.code: a for a in service.attributes}
        unknown = sorted(set(given) - set(asked))
        if unknown:
            raise ValueError(f"service {code} asks no attribute {', '.join(unknown)}")
        answers: dict[str, Any] = {}
        for attribute in service.attributes:
            values = [v for v in given.get(attribute.code, []) if v.strip()]
            if not values:
                if attribute.required:
                    raise ValueError(f"attribute[{attribute.code}] is required")
                continue
            offered = {v.key for v in attribute.values}
            if offered and any(v not in offered for v in values):
                raise ValueError(
                    f"attribute[{attribute.code}] must be one of {', '.join(sorted(offered))}"
                )
            if attribute.datatype == "number":
                try:
                    float(values[0])
                except ValueError:
                    raise ValueError(f"attribute[{attribute.code}] must be a number") from None
            multi = attribute.datatype == "multivaluelist"
            answers[attribute.code] = values if multi else values[0][:1000]
        return answers
