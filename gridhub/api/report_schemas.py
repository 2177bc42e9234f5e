"""Shapes of the console's report resources (``/api/v1/reports``)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from gridhub.api.schemas import Schema


class ContactOut(Schema):
    """Who reported: shown only to those who handle reports."""

    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None


class ReportOut(Schema):
    id: int
    service_code: str
    service_name: str
    description: str
    state: str
    state_label: str
    grid: str
    village: str | None
    village_name: str | None
    lon: float
    lat: float
    address_string: str | None
    routed_to: str | None
    handlers: list[str]
    order_id: int | None
    merged_into: int | None
    public_reply: str | None
    requested_at: datetime
    dispatched_at: datetime | None
    closed_at: datetime | None
    rating: str | None
    rating_comment: str | None
    photo_count: int
    contact: ContactOut | None = None


class UpdateOut(Schema):
    at: datetime
    state: str
    note: str | None
    actor: str | None


class ReportDetailOut(ReportOut):
    attributes: dict[str, Any]
    channel: str
    photos: list[str]
    updates: list[UpdateOut]


class ReportActionIn(BaseModel):
    """``dispatch``: a ``member`` or a ``unit``; ``reject``: a ``reason``; ``merge``: ``into``."""

    member: str | None = Field(None, description="dispatch: the member to send it to.")
    unit: str | None = Field(None, description="dispatch: the unit to send it to.")
    reason: str | None = Field(None, max_length=1000, description="reject: why (public).")
    into: int | None = Field(None, description="merge: the report it duplicates.")


class UnitOut(Schema):
    code: str
    name: str
    members: list[str]
