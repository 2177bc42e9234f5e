"""Settings sections shared by several areas; each area's own section lives beside it."""

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Section(BaseModel):
    """A settings section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="API processes serving HTTP on the port; beyond 1 the hub process keeps "
        "the services and the API processes read their health from the data dir.",
    )
    token_ttl_minutes: int = Field(12 * 60, ge=1, description="Lifetime of sign-in tokens.")
    signin_max_failures: int = Field(
        10,
        ge=1,
        description="Failed sign-ins of one user name from one address in the window; "
        "the next try answers 429.",
    )
    signin_max_failures_per_address: int = Field(
        50,
        ge=1,
        description="Failed sign-ins of any names from one address in the window (many "
        "desks may share one address); the next try answers 429.",
    )
    signin_window_minutes: int = Field(5, ge=1, description="How far back failed sign-ins count.")
    forwarded_allow_ips: tuple[str, ...] = Field(
        ("127.0.0.1", "::1"),
        description="Reverse proxies (addresses or networks, or * for any) whose "
        "X-Forwarded-For names the client; others' requests count by their own address.",
    )

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        # uvicorn would take a malformed entry as a literal host name and trust nobody.
        if "*" in entries and len(entries) > 1:
            raise ValueError("* trusts every proxy: give it alone")
        for entry in entries:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry)
                except ValueError:
                    raise ValueError(
                        f"{entry!r} is not an IP address, a network such as 10.0.0.0/8, or *"
                    ) from None
        return entries
