"""The sensor registry import: CSV or YAML rows, all validated before anything is written.

Every problem is collected (line, code, reason) and raised together as SensorImportError;
only a file without any problem is written, creating or updating sensors by code.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.ingest.models import Sensor
from gridhub.reasons import reasons
from gridhub.severity import SEVERITIES
from gridhub.tables import RawRow, RowError, TableImportError, TableKind, read_table

CSV_COLUMNS = ("code", "name", "kind", "lon", "lat", "unit", *SEVERITIES)
OPTIONAL_COLUMNS = ("hysteresis",)
REQUIRED_COLUMNS = ("code", "name", "kind", "lon", "lat")
STORED_FIELDS = ("name", "kind", "lon", "lat", "grid_code", "unit", *SEVERITIES, "hysteresis")


class GridLookup(Protocol):
    """What the import needs of the hub's locator (``gridhub.geo.locator.GridLocator``)."""

    def locate_many(self, lons: NDArray[Any], lats: NDArray[Any]) -> list[str | None]: ...


class SensorImportError(TableImportError):
    """A sensor file was refused; ``errors`` holds every reason, the store is unchanged."""


SENSORS = TableKind("sensors", CSV_COLUMNS + OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SensorImportError)


@dataclass(frozen=True, slots=True)
class SensorImportReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    outside: tuple[str, ...]
    """Sensors placed outside every grid: stored, but their warnings reach no grid's members."""

    def __str__(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.outside:
            text += f"; outside every grid: {', '.join(self.outside)}"
        return text


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\s/+#]+$"),
]
Threshold = Annotated[float | None, Field(allow_inf_nan=False)]


class SensorRow(BaseModel):
    """One sensor of an import file, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    unit: Annotated[str, StringConstraints(max_length=32)] | None = None
    blue: Threshold = None
    yellow: Threshold = None
    orange: Threshold = None
    red: Threshold = None
    hysteresis: float | None = Field(None, ge=0, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @model_validator(mode="after")
    def _rising(self) -> "SensorRow":
        given = [(level, getattr(self, level)) for level in SEVERITIES]
        given = [(level, value) for level, value in given if value is not None]
        for (low, low_value), (high, high_value) in pairwise(given):
            if high_value <= low_value:
                raise ValueError(
                    f"thresholds must rise blue < yellow < orange < red: "
                    f"{high} {high_value} is not above {low} {low_value}"
                )
        return self


def read_sensor_file(path: Path) -> list[RawRow]:
    """The rows of a ``.csv``, ``.yaml`` or ``.yml`` file; SensorImportError if unreadable."""
    return read_table(path, SENSORS)


def import_sensors(
    session: Session,
    source: Path | Sequence[Mapping[str, Any]],
    locator: GridLookup,
) -> SensorImportReport:
    """Create or update (by code) every sensor of a file or of rows (mappings with the CSV
    columns), placing each in its grid with ``locator``; or change nothing and raise
    SensorImportError with every problem. The caller commits."""
    if isinstance(source, Path):
        raw = read_sensor_file(source)
    else:
        raw = [RawRow(number, row) for number, row in enumerate(source, start=1)]
    valid, errors = _validate(raw)
    if errors:
        raise SensorImportError(errors)
    lons = np.array([row.lon for row in valid], dtype=float)
    lats = np.array([row.lat for row in valid], dtype=float)
    grids = locator.locate_many(lons, lats) if valid else []
    existing = {
        sensor.code: sensor
        for sensor in session.scalars(
            select(Sensor).where(Sensor.code.in_([r.code for r in valid]))
        )
    }
    created, updated, unchanged, outside = [], [], [], []
    for row, grid in zip(valid, grids, strict=True):
        wanted = {**row.model_dump(exclude={"code"}), "grid_code": grid}
        sensor = existing.get(row.code)
        if sensor is None:
            session.add(Sensor(code=row.code, **wanted))
            created.append(row.code)
        elif any(getattr(sensor, name) != wanted[name] for name in STORED_FIELDS):
            for name in STORED_FIELDS:
                setattr(sensor, name, wanted[name])
            updated.append(row.code)
        else:
            unchanged.append(row.code)
        if grid is None:
            outside.append(row.code)
    session.flush()
    return SensorImportReport(tuple(created), tuple(updated), tuple(unchanged), tuple(outside))


def _validate(rows: Sequence[RawRow]) -> tuple[list[SensorRow], list[RowError]]:
    valid: list[SensorRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        raw_code = row.data.get("code")
        code = str(raw_code).strip() if raw_code not in (None, "") else None
        if row.error is not None:
            errors.append(RowError(row.line, code, row.error))
            continue
        if code is not None:
            if code in first_line:
                errors.append(
                    RowError(row.line, code, f"duplicate code (first on line {first_line[code]})")
                )
            first_line.setdefault(code, row.line)
        try:
            valid.append(SensorRow.model_validate(row.data))
        except ValidationError as exc:
            errors.extend(
                RowError(row.line, code, text)
                for text in reasons(exc, CSV_COLUMNS + OPTIONAL_COLUMNS)
            )
    return valid, errors
