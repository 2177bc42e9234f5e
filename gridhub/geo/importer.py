"""Import of regions and grids from a GeoJSON FeatureCollection: validate all, then write in bulk.

Call inside a transaction (``gridhub.db.transaction``): nothing is written unless the whole file
is valid, and a failure while writing rolls everything back with the caller's transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from gridhub.db import utcnow
from gridhub.geo.models import Region
from gridhub.geo.overlaps import Overlap, find_overlaps
from gridhub.geo.repository import GRID, bump_revision, path_of, to_geometry, to_stored
from gridhub.geo.validation import (
    FeatureSpec,
    GridImportError,
    Problem,
    check_hierarchy,
    parse_feature_collection,
)

__all__ = ["GridImportError", "ImportReport", "import_grids", "load_feature_collection"]


@dataclass
class ImportReport:
    """What an import changed, by code, and the overlaps between grids it found."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    revision: int | None = None  # the new grid revision, None when nothing changed

    @property
    def changed(self) -> bool:
        return self.revision is not None


@dataclass
class _Stored:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    geometry: BaseGeometry | None
    properties: dict[str, Any]


def load_feature_collection(text: str | bytes) -> Any:
    """The parsed JSON of a file, or a GridImportError saying it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise GridImportError([Problem(None, None, f"not JSON: {exc}")]) from exc


def import_grids(
    session: Session,
    feature_collection: Any,
    prune: bool = False,
    strict: bool = False,
    on_stage: Callable[[str], None] = lambda _stage: None,
) -> ImportReport:
    """Create or update (by code) every region and grid of the file.

    ``prune`` removes stored regions and grids missing from the file; ``strict`` refuses grids
    that overlap. Raises GridImportError with every problem found; the store is then unchanged.
    ``on_stage`` hears what the import is doing now (a county's grids take a while).
    """
    on_stage("validating features")
    specs, problems = parse_feature_collection(feature_collection)
    features = feature_collection.get("features") if isinstance(feature_collection, dict) else None
    on_stage(f"checking {len(features or ()):,} features against the stored tree")
    stored = _load_stored(session)
    parents = _parent_codes(stored)
    placed = {spec.code for spec in specs}
    invalid = {p.code for p in problems if p.code is not None and p.code not in placed}
    levels = {row.code: (row.level, parents[row.code]) for row in stored.values()}
    problems.extend(check_hierarchy(specs, levels, prune, invalid))
    problems.sort(key=lambda problem: -1 if problem.index is None else problem.index)
    if problems:
        raise GridImportError(problems)
    in_file = {spec.code: spec for spec in specs}
    kept = {code: row for code, row in stored.items() if code in in_file or not prune}
    on_stage("looking for overlapping grids")
    overlaps = _overlaps(in_file, kept)
    if strict and overlaps:
        raise GridImportError(
            [Problem(in_file[o.a].index if o.a in in_file else None, o.a, str(o)) for o in overlaps]
        )
    report = ImportReport(overlaps=overlaps)
    on_stage(f"writing {len(specs):,} regions and grids")
    _write(session, specs, stored, kept, parents, prune, report)
    return report


def _load_stored(session: Session) -> dict[str, _Stored]:
    rows = session.execute(
        select(
            Region.id,
            Region.code,
            Region.name,
            Region.level,
            Region.parent_id,
            Region.path,
            Region.geom,
            Region.properties,
        )
    )
    return {
        row.code: _Stored(
            row.id,
            row.code,
            row.name,
            row.level,
            row.parent_id,
            row.path,
            to_geometry(row.geom),
            row.properties or {},
        )
        for row in rows
    }


def _parent_codes(stored: dict[str, _Stored]) -> dict[str, str | None]:
    by_id = {row.id: row.code for row in stored.values()}
    return {
        code: None if row.parent_id is None else by_id.get(row.parent_id)
        for code, row in stored.items()
    }


def _overlaps(in_file: dict[str, FeatureSpec], kept: dict[str, _Stored]) -> list[Overlap]:
    grids: dict[str, BaseGeometry] = {
        code: row.geometry
        for code, row in kept.items()
        if row.level == GRID and row.geometry is not None and code not in in_file
    }
    grids.update(
        {
            code: spec.geometry
            for code, spec in in_file.items()
            if spec.level == GRID and spec.geometry is not None  # a grid without one is refused
        }
    )
    return find_overlaps(list(grids), list(grids.values()))


def _same_geometry(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.geom_type == b.geom_type and bool(shapely.equals_exact(a, b, tolerance=0.0))


def _differs(spec: FeatureSpec, row: _Stored, parent: str | None) -> bool:
    return (
        spec.name != row.name
        or spec.level != row.level
        or spec.parent != parent
        or spec.properties != row.properties
        or not _same_geometry(spec.geometry, row.geometry)
    )


def _write(
    session: Session,
    specs: list[FeatureSpec],
    stored: dict[str, _Stored],
    kept: dict[str, _Stored],
    parents: dict[str, str | None],
    prune: bool,
    report: ImportReport,
) -> None:
    now = utcnow()
    new = [spec for spec in specs if spec.code not in stored]
    if new:
        session.execute(
            insert(Region),
            [
                {
                    "code": spec.code,
                    "name": spec.name,
                    "level": spec.level,
                    "parent_id": None,
                    "path": path_of([spec.code]),
                    "geom": to_stored(spec.geometry),
                    "properties": spec.properties,
                    "updated_at": now,
                }
                for spec in new
            ],
        )
        report.created = [spec.code for spec in new]
    ids = {code: region_id for code, region_id in session.execute(select(Region.code, Region.id))}
    final_parent = {code: parents[code] for code in kept}
    final_parent.update({spec.code: spec.parent for spec in specs})
    paths = _paths(final_parent)
    changes: dict[int, dict[str, Any]] = {}
    for spec in specs:
        row = stored.get(spec.code)
        if row is None:
            continue
        if not _differs(spec, row, parents[spec.code]):
            report.unchanged.append(spec.code)
            continue
        report.updated.append(spec.code)
        changes[row.id] = {
            "name": spec.name,
            "level": spec.level,
            "properties": spec.properties,
            "geom": to_stored(spec.geometry),
        }
    for code, parent in final_parent.items():
        row = stored.get(code)
        parent_id = ids[parent] if parent is not None else None
        if row is None or row.parent_id != parent_id or row.path != paths[code]:
            changes.setdefault(ids[code], {}).update(parent_id=parent_id, path=paths[code])
    if changes:
        _bulk_update(session, changes, now)
    removed = sorted(code for code in stored if code not in kept)
    if removed:
        _delete_deepest_first(session, [stored[code] for code in removed])
        report.removed = removed
    if new or changes or removed:
        report.revision = bump_revision(session)


def _bulk_update(session: Session, changes: dict[int, dict[str, Any]], now: Any) -> None:
    # Rows are grouped by the set of columns they change: one executemany per group.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for region_id, values in changes.items():
        groups.setdefault(tuple(sorted(values)), []).append(
            {"id": region_id, **values, "updated_at": now}
        )
    for rows in groups.values():
        session.execute(update(Region), rows)


def _delete_deepest_first(session: Session, rows: list[_Stored]) -> None:
    # Parents are RESTRICTed while children exist: delete one depth at a time, leaves first.
    by_depth: dict[int, list[int]] = {}
    for row in rows:
        by_depth.setdefault(row.path.count("/"), []).append(row.id)
    for depth in sorted(by_depth, reverse=True):
        ids = by_depth[depth]
        for start in range(0, len(ids), 1000):
            session.execute(delete(Region).where(Region.id.in_(ids[start : start + 1000])))


def _paths(parents: dict[str, str | None]) -> dict[str, str]:
    """Each code's path, from the (acyclic, checked) parent map."""
    paths: dict[str, str] = {}

    def resolve(code: str) -> str:
        chain = []
        current: str | None = code
        while current is not None and current not in paths:
            chain.append(current)
            current = parents.get(current)
        prefix = paths[current] if current is not None else "/"
        for link in reversed(chain):
            prefix = prefix + link + "/"
            paths[link] = prefix
        return paths[code]

    for code in parents:
        resolve(code)
    return paths
