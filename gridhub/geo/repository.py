"""Store queries of regions and grids that other areas need (the session is passed in)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.db import utcnow
from gridhub.geo.models import PATH_SEPARATOR, GridRevision, Region

GRID = "grid"
REVISION_ROW_ID = 1


@dataclass(frozen=True)
class GridShape:
    """A grid as the spatial index needs it."""

    code: str
    path: str
    geometry: BaseGeometry


def to_geometry(value: WKBElement | None) -> BaseGeometry | None:
    """A shapely geometry from a stored geometry value (EWKB from either backend)."""
    if value is None:
        return None
    data = value.data
    return shapely.from_wkb(bytes(data) if not isinstance(data, str) else data)


def to_stored(geometry: BaseGeometry | None) -> WKBElement | None:
    return None if geometry is None else from_shape(geometry, srid=4326)


def path_of(codes: Iterable[str]) -> str:
    """``/C/T/V/G/`` from the codes root → region."""
    return PATH_SEPARATOR + "".join(code + PATH_SEPARATOR for code in codes)


def codes_of(path: str) -> tuple[str, ...]:
    return tuple(code for code in path.split(PATH_SEPARATOR) if code)


def parent_code(region: Region) -> str | None:
    codes = codes_of(region.path)
    return codes[-2] if len(codes) > 1 else None


def grid_revision(session: Session) -> int:
    """The counter that goes up whenever grids or regions change (0 before any import)."""
    value = session.scalar(select(GridRevision.revision).where(GridRevision.id == REVISION_ROW_ID))
    return value or 0


def bump_revision(session: Session) -> int:
    """Raise the grid revision by one (creating its row if missing); returns the new value."""
    row = session.get(GridRevision, REVISION_ROW_ID, with_for_update=True)
    if row is None:
        row = GridRevision(id=REVISION_ROW_ID, revision=0, changed_at=utcnow())
        session.add(row)
    row.revision = (row.revision or 0) + 1
    row.changed_at = utcnow()
    session.flush()
    return row.revision


def region_by_code(session: Session, code: str) -> Region | None:
    return session.scalar(select(Region).where(Region.code == code))


def grid_point(session: Session, code: str) -> tuple[float, float] | None:
    """A point surely inside the grid ``code`` (its point on surface), as (lon, lat); None if
    there is no such grid with a polygon."""
    region = region_by_code(session, code)
    geometry = to_geometry(region.geom) if region is not None and region.level == "grid" else None
    if geometry is None:
        return None
    point = geometry.point_on_surface()
    return point.x, point.y


def regions_by_code(session: Session, codes: Iterable[str]) -> dict[str, Region]:
    wanted = list(dict.fromkeys(codes))
    found: dict[str, Region] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(
            {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(chunk)))}
        )
    return found


def subtree(session: Session, code: str) -> list[Region]:
    """The region ``code`` and everything under it, parents before children ([] if unknown)."""
    region = region_by_code(session, code)
    if region is None:
        return []
    query = select(Region).where(Region.path.startswith(region.path, autoescape=True))
    return list(session.scalars(query.order_by(Region.path)))


def all_regions(session: Session) -> list[Region]:
    """Every region, parents before children."""
    return list(session.scalars(select(Region).order_by(Region.path)))


@dataclass(frozen=True)
class GridColumns:
    """Every grid as parallel columns (code, path, polygon), for the spatial index: the polygons
    are decoded from WKB in one call rather than one shapely call per row (1M grids: seconds)."""

    codes: list[str]
    paths: list[str]
    geometries: NDArray[np.object_]


def grid_columns(session: Session) -> GridColumns:
    """Every grid with a polygon, as columns."""
    rows = session.execute(
        select(Region.code, Region.path, Region.geom).where(
            Region.level == GRID, Region.geom.is_not(None)
        )
    )
    codes: list[str] = []
    paths: list[str] = []
    wkb: list[str | bytes] = []
    for code, path, geom in rows:
        if geom is not None:  # always: the query skips grids without one
            codes.append(code)
            paths.append(path)
            # EWKB as hex text (PostGIS) or bytes (SpatiaLite): one kind per store.
            wkb.append(geom.data if isinstance(geom.data, str) else bytes(geom.data))
    geometries = shapely.from_wkb(np.array(wkb, dtype=object)) if wkb else np.empty(0, object)
    return GridColumns(codes, paths, geometries)


def grid_shapes(session: Session) -> list[GridShape]:
    """Every grid with its path and polygon, one object per grid."""
    columns = grid_columns(session)
    return [
        GridShape(code, path, geometry)
        for code, path, geometry in zip(
            columns.codes, columns.paths, columns.geometries.tolist(), strict=True
        )
    ]


def feature(region: Region) -> dict[str, Any]:
    """The region as a GeoJSON Feature in the import format."""
    properties: dict[str, Any] = {"code": region.code, "name": region.name, "level": region.level}
    parent = parent_code(region)
    if parent is not None:
        properties["parent"] = parent
    properties.update(region.properties or {})
    geometry = to_geometry(region.geom)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": None if geometry is None else _mapping(geometry),
    }


def feature_collection(regions: Iterable[Region]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [feature(region) for region in regions]}


def grids_collection(session: Session, under: str | None = None) -> dict[str, Any]:
    """The grids (everything if ``under`` is None, else those below that region's code)."""
    query = select(Region).where(Region.level == GRID)
    if under is not None:
        top = region_by_code(session, under)
        if top is None:
            return feature_collection([])
        query = query.where(Region.path.startswith(top.path, autoescape=True))
    return feature_collection(session.scalars(query.order_by(Region.path)))


def _mapping(geometry: BaseGeometry) -> dict[str, Any]:
    # GeoJSON lists, not shapely's tuples, so a round trip compares equal to the input.
    mapped = shapely.geometry.mapping(geometry)
    return {"type": mapped["type"], "coordinates": _lists(mapped["coordinates"])}


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(item) for item in value]
    return value
