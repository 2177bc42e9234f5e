"""The feed registry: validate and import cameras, place them in grids, list them per grid."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from geoalchemy2.shape import from_shape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridhub.cameras.models import KINDS, Camera
from gridhub.events import DomainEvent, DroneMoved
from gridhub.geo.models import Member, Region
from gridhub.reasons import reasons
from gridhub.secrets import SecretBox
from gridhub.tables import RawRow, RowError, TableImportError, TableKind, read_table

COLUMNS = (
    "code",
    "name",
    "kind",
    "lon",
    "lat",
    "stream_url",
    "sub_stream_url",
    "onvif_url",
    "snapshot_url",
    "maintainer",
    "grid",
    "pinned",
)
URL_FIELDS = ("stream_url", "sub_stream_url", "onvif_url", "snapshot_url")
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")
# A drone counts as over a grid while its last position is at most this old.
DRONE_FRESH = timedelta(minutes=2)

GridOf = Callable[[float, float], str | None]
"""Point (WGS84 lon, lat) → grid code, e.g. ``lambda x, y: hub.locator.locate(x, y).grid``."""


class CameraImportError(TableImportError):
    """A camera file was rejected as a whole; ``errors`` names each bad row and field."""


CAMERAS = TableKind(
    "cameras",
    COLUMNS,
    COLUMNS[:5],
    CameraImportError,
    missing="missing column {quoted}",
    unknown="unknown column {quoted}",
)


class CameraRecord(BaseModel):
    """One camera as written in an import file or given to the API/CLI."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: str
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    stream_url: str | None = None
    sub_stream_url: str | None = None
    onvif_url: str | None = None
    snapshot_url: str | None = None
    maintainer: str | None = None
    grid: str | None = None
    pinned: bool | None = Field(
        None,
        description="A drone's grid stays the given one wherever it flies; without it, "
        "a drone's grid is only where it starts and then follows its position.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("kind")
    @classmethod
    def _check_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"must be one of {', '.join(KINDS)}")
        return value

    @field_validator("stream_url", "sub_stream_url", "snapshot_url", "onvif_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(URL_SCHEMES):
            raise ValueError(f"must be a URL starting with one of {', '.join(URL_SCHEMES)}")
        return value

    @model_validator(mode="after")
    def _check_place(self) -> "CameraRecord":
        if self.kind != "drone" and (self.lon is None or self.lat is None):
            raise ValueError("lon and lat are required (only drones may omit them)")
        return self


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def read_records(path: Path) -> list[CameraRecord]:
    """Parse a CSV or YAML camera file; raise CameraImportError listing every bad row."""
    return parse_records(read_table(path, CAMERAS))


def parse_records(rows: Iterable[RawRow]) -> list[CameraRecord]:
    """Validate every row; all errors are reported together, duplicates included."""
    records: list[CameraRecord] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.error is not None:
            errors.append(RowError(row.line, None, row.error))
            continue
        code = str(row.data["code"]) if row.data.get("code") else None
        try:
            record = CameraRecord.model_validate(row.data)
        except ValidationError as exc:
            errors.extend(RowError(row.line, code, r) for r in reasons(exc, show_input=True))
            continue
        if record.code in first_line:
            reason = f"code {record.code!r} repeats line {first_line[record.code]}"
            errors.append(RowError(row.line, None, reason))
        first_line.setdefault(record.code, row.line)
        records.append(record)
    if errors:
        raise CameraImportError(errors)
    return records


def import_cameras(
    session: Session, records: Sequence[CameraRecord], grid_of: GridOf, box: SecretBox
) -> ImportReport:
    """Create or update every camera, or none: unknown grids or maintainers reject the lot.
    URLs are stored sealed by ``box`` (they may carry user:password).

    The caller commits; on CameraImportError nothing has been changed in ``session``.
    """
    grids = _grids_by_code(session, {r.grid for r in records if r.grid})
    members = set(
        session.scalars(
            select(Member.code).where(
                Member.code.in_({r.maintainer for r in records if r.maintainer})
            )
        )
    )
    errors = []
    for record in records:
        if record.grid and record.grid not in grids:
            errors.append(f"{record.code}: grid {record.grid!r} does not exist")
        if record.maintainer and record.maintainer not in members:
            errors.append(f"{record.code}: maintainer {record.maintainer!r} is not a member")
    located = {
        r.code: grid_of(r.lon, r.lat)
        for r in records
        if not r.grid and r.lon is not None and r.lat is not None
    }
    grids.update(_grids_by_code(session, {code for code in located.values() if code}))
    if errors:
        raise CameraImportError(errors)
    existing = {
        c.code: c
        for c in session.scalars(select(Camera).where(Camera.code.in_([r.code for r in records])))
    }
    report = ImportReport()
    for record in records:
        camera = existing.get(record.code)
        if camera is None:
            camera = Camera(code=record.code, device={}, status="unknown")
            session.add(camera)
            report.created.append(record.code)
        else:
            report.updated.append(record.code)
        _apply(camera, record, box)
        grid_code = record.grid or located.get(record.code)
        # A fixed camera's grid given in the file is where it belongs; a drone's is its home
        # until it flies, unless pinned (then it stays there).
        camera.grid_override = record.grid is not None and (
            record.kind != "drone" or bool(record.pinned)
        )
        camera.grid_id = grids[grid_code].id if grid_code else None
    session.flush()
    return report


def _apply(camera: Camera, record: CameraRecord, box: SecretBox) -> None:
    camera.name = record.name
    camera.kind = record.kind
    camera.ptz = camera.ptz or record.kind == "ptz"
    if record.lon is not None and record.lat is not None:
        camera.geom = from_shape(Point(record.lon, record.lat), srid=4326)
    for name in URL_FIELDS:
        setattr(camera, name, box.seal_optional(getattr(record, name)))
    camera.maintainer = record.maintainer


def _grids_by_code(session: Session, codes: set[str]) -> dict[str, Region]:
    if not codes:
        return {}
    query = select(Region).where(Region.code.in_(codes), Region.level == "grid")
    return {region.code: region for region in session.scalars(query)}


def move_feed(
    session: Session,
    camera: Camera,
    lon: float,
    lat: float,
    at: datetime,
    grid: str | None,
) -> None:
    """Record a feed's new place (a drone's telemetry); its grid follows unless overridden."""
    camera.geom = from_shape(Point(lon, lat), srid=4326)
    camera.position_at = at
    if not camera.grid_override:
        region = _grids_by_code(session, {grid}).get(grid) if grid else None
        camera.grid_id = region.id if region else None


def registered_drones(session: Session, codes: Iterable[str]) -> set[str]:
    """Those of ``codes`` that are drone feeds in the registry (ingest's ``DroneRegistry``)."""
    query = select(Camera.code).where(Camera.code.in_(set(codes)), Camera.kind == "drone")
    return set(session.scalars(query))


def drone_sink(session: Session, events: Sequence[DomainEvent]) -> None:
    """Ingest event sink: drone telemetry moves the drone feed registered under the same code."""
    moves = {e.drone: e for e in events if isinstance(e, DroneMoved)}
    if not moves:
        return
    query = select(Camera).where(Camera.code.in_(moves), Camera.kind == "drone")
    for camera in session.scalars(query):
        event = moves[camera.code]
        if camera.position_at is None or event.ts >= camera.position_at:
            move_feed(session, camera, event.lon, event.lat, event.ts, event.grid)


def get_camera(session: Session, code: str) -> Camera | None:
    query = select(Camera).options(joinedload(Camera.grid)).where(Camera.code == code)
    return session.scalars(query).first()


def list_cameras(session: Session, region_path: str | None = None) -> list[Camera]:
    """Every feed, or those in grids under ``region_path`` (a ``/…/`` path prefix)."""
    query = select(Camera).options(joinedload(Camera.grid)).order_by(Camera.code)
    if region_path is not None:
        query = query.join(Region, Camera.grid_id == Region.id).where(
            Region.path.startswith(region_path, autoescape=True)
        )
    return list(session.scalars(query))


def grid_feeds(session: Session, grid_code: str, now: datetime) -> list[Camera]:
    """Fixed cameras in the grid, plus drones whose latest fresh position is over it."""
    query = (
        select(Camera)
        .join(Region, Camera.grid_id == Region.id)
        .options(joinedload(Camera.grid))
        .where(Region.code == grid_code)
        .order_by(Camera.kind == "drone", Camera.code)
    )
    return [
        camera
        for camera in session.scalars(query)
        if camera.kind != "drone"
        or (camera.position_at is not None and now - camera.position_at <= DRONE_FRESH)
    ]


def camera_feature(camera: Camera) -> dict[str, Any]:
    """A GeoJSON Feature for the API: everything an operator may see, never credentials."""
    geometry = None
    point = camera.point()
    if point is not None:
        geometry = {"type": "Point", "coordinates": [point.x, point.y]}
    return {
        "type": "Feature",
        "id": camera.code,
        "geometry": geometry,
        "properties": {
            "code": camera.code,
            "name": camera.name,
            "kind": camera.kind,
            "grid": camera.grid.code if camera.grid else None,
            "grid_override": camera.grid_override,
            "status": camera.status,
            "status_reason": camera.status_reason,
            "status_since": _iso(camera.status_since),
            "last_probe_at": _iso(camera.last_probe_at),
            "position_at": _iso(camera.position_at),
            "fps": camera.fps,
            "resolution": [camera.width, camera.height] if camera.width else None,
            "ptz": camera.ptz,
            "has_onvif": camera.onvif_url is not None,
            "has_snapshot": bool(camera.snapshot_url or camera.stream_url),
            "maintainer": camera.maintainer,
            "device": {k: v for k, v in (camera.device or {}).items() if k != "profiles"},
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
