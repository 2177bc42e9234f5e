"""What the dispatcher sees of an area warning: its area and grids, the cameras and sensors
inside, and every member's receipt by village → grid → member; only what lies in scope."""

import csv
import io
from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridhub.alerts import queries, receipts
from gridhub.alerts.models import Alert, AreaAlert, Receipt
from gridhub.cameras.models import Camera
from gridhub.geo.models import Member, Region
from gridhub.ingest.models import Sensor, SensorReading
from gridhub.scope import Scope

ACTIVE, LIFTED = "active", "lifted"
CSV_COLUMNS = ("village", "grid", "member", "name", "role", "phone", "state", "sent_at",
               "delivered_at", "read_at", "confirmed_at", "reminded_at")  # fmt: skip


def status_of(alert: Alert) -> str:
    return ACTIVE if alert.is_open else LIFTED


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def visible_grids(session: Session, scope: Scope, alert: Alert) -> list[str]:
    """The warning's grids under ``scope``, by code."""
    grids = sorted(alert.grids or [])
    if scope.unrestricted:
        return grids
    if len(grids) > 1:
        return queries.grids_under(session, scope, alert.id)
    return grids if scope.contains(alert.region_path) else []


def summary(session: Session, scope: Scope, alert: Alert) -> dict[str, Any]:
    details = session.get(AreaAlert, alert.id)
    members = None if scope.unrestricted else _codes_in(session, scope, alert)
    return {
        "id": alert.id,
        "status": status_of(alert),
        "level": alert.severity,
        "kind": alert.kind,
        "headline": details.headline if details else None,
        "opened_at": _iso(alert.opened_at),
        "valid_until": _iso(details.valid_until) if details else None,
        "lifted_at": _iso(details.lifted_at) if details else None,
        "grid_count": len(visible_grids(session, scope, alert)),
        "receipts": receipts.counts(session, alert.id, members),
    }


def detail(session: Session, scope: Scope, alert: Alert) -> dict[str, Any]:
    """The warning in full, as ``GET /api/v1/warnings/{id}`` answers it."""
    details = session.get(AreaAlert, alert.id)
    grids = visible_grids(session, scope, alert)
    area = shape(alert.area) if alert.area else None
    rows = _members(session, alert, set(grids), scope.unrestricted)
    progress: dict[str, dict[str, int]] = {g: {"total": 0, "confirmed": 0} for g in grids}
    for row in rows:
        if row["released_at"] is None:
            for grid in row["grids"]:
                if grid in progress:
                    progress[grid]["total"] += 1
                    progress[grid]["confirmed"] += row["state"] == receipts.CONFIRMED
    codes = [row["code"] for row in rows]
    return {
        **summary(session, scope, alert),
        "receipts": receipts.counts(session, alert.id, None if scope.unrestricted else codes),
        "description": details.description if details else None,
        "instruction": details.instruction if details else None,
        "area_desc": details.area_desc if details else None,
        "sender": details.sender if details else None,
        "lifted_reason": details.lifted_reason if details else None,
        "area": alert.area,
        "bbox": details.bbox if details else None,
        "grids": grids,
        "grid_progress": progress,
        "grid_shares": _shares(session, grids, area),
        "members": rows,
        "cameras": _cameras(session, set(grids), area),
        "sensors": _sensors(session, set(grids), area),
    }


def roll_csv(rows: list[dict[str, Any]]) -> str:
    """The roll as CSV with a BOM (Excel then reads UTF-8), village → grid → member."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in sorted(rows, key=lambda r: (r["village"] or "", r["grid"] or "", r["code"])):
        writer.writerow([row["village"], row["grid"], row["code"], row["name"], row["role"],
                         row["phone"], row["state"], row["sent_at"], row["delivered_at"],
                         row["read_at"], row["confirmed_at"], row["reminded_at"]])  # fmt: skip
    return out.getvalue()


def _codes_in(session: Session, scope: Scope, alert: Alert) -> list[str]:
    grids = set(visible_grids(session, scope, alert))
    return [r["code"] for r in _members(session, alert, grids, False)]


def _members(
    session: Session, alert: Alert, grids: set[str], everyone: bool
) -> list[dict[str, Any]]:
    """Every receipt (of members with a grid in ``grids`` unless ``everyone``), with the
    member's name, phone, first grid and its village."""
    found = session.execute(
        select(Receipt, Member.name, Member.phone)
        .outerjoin(Member, Member.code == Receipt.member_code)
        .where(Receipt.alert_id == alert.id)
        .order_by(Receipt.member_code)
    ).all()
    shown = [
        (receipt, name, phone)
        for receipt, name, phone in found
        if everyone or grids.intersection(receipt.grids or [])
    ]
    firsts = sorted({g for r, _n, _p in shown for g in r.grids or []})
    village = aliased(Region)
    places = {
        code: (name, village_name)
        for code, name, village_name in session.execute(
            select(Region.code, Region.name, village.name)
            .outerjoin(village, village.id == Region.parent_id)
            .where(Region.code.in_(firsts))
        )
    }
    rows = []
    for r, name, phone in shown:
        # A member shared with grids outside the scope shows only their grids inside it.
        mine = [g for g in r.grids or [] if everyone or g in grids]
        first = places.get(mine[0], (None, None)) if mine else (None, None)
        rows.append({
            "code": r.member_code,
            "name": name,
            "role": r.role,
            "phone": phone,
            "grids": mine,
            "grid": mine[0] if mine else None,
            "grid_name": first[0],
            "village": first[1],
            "state": r.state,
            "sent_at": _iso(r.sent_at),
            "delivered_at": _iso(r.delivered_at),
            "read_at": _iso(r.read_at),
            "confirmed_at": _iso(r.confirmed_at),
            "channels": r.channels,
            "reminded_at": _iso(r.reminded_at),
            "escalated": r.escalated,
            "released_at": _iso(r.released_at),
        })  # fmt: skip
    return rows


def _shares(session: Session, grids: list[str], area: Any) -> dict[str, float]:
    """The share of each grid's surface inside the area (0–1, in degrees²: grids are small)."""
    if area is None or not grids:
        return {}
    shares: dict[str, float] = {}
    for start in range(0, len(grids), 1000):
        query = select(Region.code, Region.geom).where(Region.code.in_(grids[start : start + 1000]))
        for code, geom in session.execute(query):
            if geom is not None:
                polygon = to_shape(geom)
                if polygon.area > 0:
                    shares[code] = round(polygon.intersection(area).area / polygon.area, 3)
    return shares


def _cameras(session: Session, grids: set[str], area: Any) -> list[dict[str, Any]]:
    if area is None:
        return []
    query = select(Camera, Region.code).outerjoin(Region, Region.id == Camera.grid_id)
    found = []
    for camera, grid in session.execute(query.where(Camera.geom.is_not(None))):
        if camera.geom is None or grid not in grids:
            continue
        point = to_shape(camera.geom)
        if isinstance(point, Point) and area.contains(point):
            found.append({"code": camera.code, "name": camera.name, "kind": camera.kind,
                          "grid": grid, "lon": point.x, "lat": point.y})  # fmt: skip
    return found


def _sensors(session: Session, grids: set[str], area: Any) -> list[dict[str, Any]]:
    if area is None:
        return []
    found = []
    for sensor in session.scalars(select(Sensor).where(Sensor.lon.is_not(None))):
        if sensor.grid_code not in grids or sensor.lon is None or sensor.lat is None:
            continue
        if not area.contains(Point(sensor.lon, sensor.lat)):
            continue
        latest = session.scalars(
            select(SensorReading)
            .where(SensorReading.sensor_code == sensor.code)
            .order_by(SensorReading.ts.desc())
            .limit(1)
        ).first()
        found.append({
            "code": sensor.code, "name": sensor.name, "kind": sensor.kind, "grid": sensor.grid_code,
            "lon": sensor.lon, "lat": sensor.lat, "unit": sensor.unit,
            "value": latest.value if latest else None, "ts": _iso(latest.ts) if latest else None,
        })  # fmt: skip
    return found
