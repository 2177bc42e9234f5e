"""The sensor registry import: CSV or YAML rows, all validated before anything is written.

Every problem is collected (line, code, reason) and raised together as SensorImportError;
only a file without any problem is written, creating or updating sensors by code.
"""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
import yaml
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
from gridhub.ingest.payloads import SEVERITY_LEVELS

CSV_COLUMNS = ("code", "name", "kind", "lon", "lat", "unit", *SEVERITY_LEVELS)
OPTIONAL_COLUMNS = ("hysteresis",)
REQUIRED_COLUMNS = ("code", "name", "kind", "lon", "lat")
FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
STORED_FIELDS = ("name", "kind", "lon", "lat", "grid_code", "unit", *SEVERITY_LEVELS, "hysteresis")


class GridLookup(Protocol):
    """What the import needs of the hub's locator (``gridhub.geo.locator.GridLocator``)."""

    def locate_many(self, lons: NDArray[Any], lats: NDArray[Any]) -> list[str | None]: ...


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a sensor file was refused; ``line`` None means the whole file."""

    line: int | None
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        who = f" ({self.code})" if self.code else ""
        return f"{where}{who}: {self.reason}"


class SensorImportError(Exception):
    """A sensor file was refused; ``errors`` holds every reason, the store is unchanged."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


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
        given = [(level, getattr(self, level)) for level in SEVERITY_LEVELS]
        given = [(level, value) for level, value in given if value is not None]
        for (low, low_value), (high, high_value) in pairwise(given):
            if high_value <= low_value:
                raise ValueError(
                    f"thresholds must rise blue < yellow < orange < red: "
                    f"{high} {high_value} is not above {low} {low_value}"
                )
        return self


@dataclass(frozen=True, slots=True)
class RawRow:
    """One sensor as read from the file, with the line it starts on."""

    line: int
    data: Mapping[str, Any]
    error: str | None = None


def read_sensor_file(path: Path) -> list[RawRow]:
    """The rows of a ``.csv``, ``.yaml`` or ``.yml`` file; SensorImportError if unreadable."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _file_error(f"{path.name}: a sensor file must be .csv, .yaml or .yml")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _file_error(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _file_error(f"{path.name}: not UTF-8 text: save the file as UTF-8") from None
    rows = _csv_rows(text) if fmt == "csv" else _yaml_rows(text)
    if not rows:
        raise _file_error(f"{path.name}: the file holds no sensors")
    return rows


def _csv_rows(text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if not header:
            return []
        _check_header(header)
        rows: list[RawRow] = []
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(values) > len(header):
                rows.append(RawRow(line, {}, "more fields than the header has columns"))
                continue
            rows.append(RawRow(line, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        raise _file_error(f"line {reader.line_num}: not valid CSV: {exc}") from None
    return rows


def _check_header(columns: list[str]) -> None:
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    unknown = [name for name in columns if name not in CSV_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        expected = ",".join(CSV_COLUMNS)
        raise SensorImportError([RowError(1, None, f"header: {'; '.join(problems)} ({expected})")])


def _yaml_rows(text: str) -> list[RawRow]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(f"{where}not valid YAML: {problem}") from None
    if document is None:
        return []
    if isinstance(document, dict) and set(document) == {"sensors"}:
        document = document["sensors"]
        node = node.value[0][1]
    if not isinstance(document, list) or not isinstance(node, yaml.SequenceNode):
        kind = type(document).__name__
        raise _file_error(f"a YAML sensor file must be a list of mappings, not a {kind}")
    rows = []
    for item, item_node in zip(document, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if isinstance(item, dict):
            rows.append(RawRow(line, {str(key): value for key, value in item.items()}))
        else:
            rows.append(RawRow(line, {}, f"expected a mapping, got {item!r}"))
    return rows


def _file_error(reason: str) -> SensorImportError:
    return SensorImportError([RowError(None, None, reason)])


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
            errors.extend(RowError(row.line, code, _reason(error)) for error in exc.errors())
    return valid, errors


def _reason(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"missing {field!r}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r} (fields: {', '.join(CSV_COLUMNS + OPTIONAL_COLUMNS)})"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not allowed (no spaces, '/', '+' or '#')"
    return f"{field}: {message}" if field else message
