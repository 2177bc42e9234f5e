"""Settings sections shared by several areas; each area's own section lives beside it."""

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """A settings section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    token_ttl_minutes: int = Field(12 * 60, ge=1, description="Lifetime of sign-in tokens.")
