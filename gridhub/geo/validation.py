"""Checks of a regions-and-grids GeoJSON FeatureCollection, before anything touches the store.

Every problem is collected (feature index, code, reason) so a user fixes a file in one pass.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gridhub.geo.models import LEVELS

RESERVED_PROPERTIES = ("code", "name", "level", "parent")
POLYGONAL = ("Polygon", "MultiPolygon")
MAX_CODE_LENGTH = 64
MAX_NAME_LENGTH = 200
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Problem:
    """One reason a file is refused; ``index`` is the feature's position (0-based) if any,
    shown counting from 1 as people count (the first feature is "feature 1")."""

    index: int | None
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.index is None else f"feature {self.index + 1}"
        if self.code is not None:
            where += f" (code {self.code})"
        return f"{where}: {self.reason}"


class GridImportError(ValueError):
    """A file that cannot be imported; carries every problem found. The store is unchanged."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class FeatureSpec:
    """One valid feature: what the store will hold for it."""

    index: int
    code: str
    name: str
    level: str
    parent: str | None
    geometry: BaseGeometry | None
    properties: dict[str, Any] = field(default_factory=dict)


def parse_feature_collection(data: object) -> tuple[list[FeatureSpec], list[Problem]]:
    """The features of a FeatureCollection and every problem found in them individually.

    A feature with problems whose code, level and parent are readable is returned too, so
    that the hierarchy checks report its problems there as well; the caller writes nothing
    while there are problems."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], [Problem(None, None, "not a GeoJSON FeatureCollection")]
    features = data.get("features")
    if not isinstance(features, list):
        return [], [Problem(None, None, "FeatureCollection without a 'features' list")]
    specs: list[FeatureSpec] = []
    problems: list[Problem] = []
    for index, feature in enumerate(features):
        spec, found = _parse_feature(index, feature)
        problems.extend(found)
        if spec is not None:
            specs.append(spec)
    return specs, problems


def _parse_feature(index: int, feature: object) -> tuple[FeatureSpec | None, list[Problem]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [Problem(index, None, "not a GeoJSON Feature")]
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        return None, [Problem(index, None, "feature without a 'properties' object")]
    code = properties.get("code")
    problems: list[Problem] = []
    if not isinstance(code, str) or not code.strip():
        problems.append(Problem(index, None, "missing 'code' (a non-empty string)"))
        code = None
    elif len(code) > MAX_CODE_LENGTH or "/" in code or code != code.strip():
        problems.append(
            Problem(
                index,
                code,
                f"bad code: at most {MAX_CODE_LENGTH} characters, no '/' or surrounding spaces",
            )
        )
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(index, code, "missing 'name' (a non-empty string)"))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(Problem(index, code, f"name longer than {MAX_NAME_LENGTH} characters"))
    level = properties.get("level")
    if level not in LEVEL_RANK:
        problems.append(
            Problem(index, code, f"bad level {level!r}: expected one of {', '.join(LEVELS)}")
        )
    parent = properties.get("parent")
    if parent is not None and (not isinstance(parent, str) or not parent):
        problems.append(Problem(index, code, f"bad parent {parent!r}: a region code or absent"))
    geometry = None
    raw = feature.get("geometry")
    if raw is None:
        if level == "grid":
            problems.append(Problem(index, code, "a grid needs Polygon or MultiPolygon geometry"))
    else:
        geometry, reason = parse_polygonal(raw)
        if reason is not None:
            if level == "grid" and not (isinstance(raw, dict) and raw.get("type") in POLYGONAL):
                reason = "a grid needs Polygon or MultiPolygon geometry: " + reason
            problems.append(Problem(index, code, reason))
    if problems:
        placed = (
            isinstance(code, str)
            and level in LEVEL_RANK
            and not any(
                problem.reason.startswith(("bad code", "bad parent")) for problem in problems
            )
        )
        if not placed:
            return None, problems
        assert isinstance(code, str) and isinstance(level, str)  # checked just above
        return FeatureSpec(index, code, str(name), level, parent, None), problems
    assert isinstance(code, str) and isinstance(name, str) and isinstance(level, str)  # checked
    extra = {key: value for key, value in properties.items() if key not in RESERVED_PROPERTIES}
    spec = FeatureSpec(index, code, name, level, parent, geometry, extra)
    return spec, []


ARRAY = (list, tuple)
"""A GeoJSON array: a list when read from JSON, a tuple from shapely's ``mapping``."""


def parse_polygonal(raw: object) -> tuple[BaseGeometry | None, str | None]:
    """A valid WGS84 Polygon/MultiPolygon from GeoJSON, or the reason it is not one.

    Rings are checked on the raw coordinates: shapely closes an open ring silently.
    """
    if not isinstance(raw, dict):
        return None, "geometry is not a GeoJSON object"
    kind = raw.get("type")
    coordinates = raw.get("coordinates")
    if kind not in POLYGONAL:
        return None, f"geometry type {kind!r} is not Polygon or MultiPolygon"
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, ARRAY) or not polygons:
        return None, f"{kind} without coordinates"
    for number, polygon in enumerate(polygons):
        reason = _check_polygon(polygon)
        if reason is not None:
            prefix = f"polygon {number}: " if kind == "MultiPolygon" else ""
            return None, prefix + reason
    two_d = [[[position[:2] for position in ring] for ring in polygon] for polygon in polygons]
    geometry: shapely.Polygon | shapely.MultiPolygon
    if kind == "Polygon":
        geometry = shapely.Polygon(two_d[0][0], two_d[0][1:])
    else:
        geometry = shapely.MultiPolygon([(polygon[0], polygon[1:]) for polygon in two_d])
    if not geometry.is_valid:
        return None, f"invalid geometry: {explain_validity(geometry)}"
    return geometry, None


def polygonal_area(area: Any) -> Any:
    """``area`` if it is a valid WGS84 Polygon/MultiPolygon, for a pydantic validator (MQTT
    area warnings, alerts created through the API): else ValueError with the reason."""
    _, reason = parse_polygonal(area)
    if reason is not None:
        raise ValueError(reason)
    return area


def _check_polygon(polygon: object) -> str | None:
    if not isinstance(polygon, ARRAY) or not polygon:
        return "polygon without rings"
    for number, ring in enumerate(polygon):
        what = "exterior ring" if number == 0 else f"hole {number}"
        if not isinstance(ring, ARRAY):
            return f"{what} is not a list of positions"
        for position in ring:
            reason = _check_position(position)
            if reason is not None:
                return f"{what}: {reason}"
        if len(ring) < 4:
            return f"{what} has {len(ring)} positions; a ring needs at least 4 (closed)"
        if list(ring[0][:2]) != list(ring[-1][:2]):
            return f"{what} is not closed (first position {ring[0]} ≠ last {ring[-1]})"
    return None


def _check_position(position: object) -> str | None:
    if not isinstance(position, ARRAY) or len(position) not in (2, 3):
        return f"position {position!r} is not [lon, lat]"
    if not all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in position
    ):
        return f"position {position!r} holds a non-number"
    lon, lat = position[0], position[1]
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"position {position!r} is not finite"
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return f"position {position!r} is outside WGS84 (lon −180…180, lat −90…90)"
    return None


def check_hierarchy(
    specs: list[FeatureSpec],
    stored: dict[str, tuple[str, str | None]],
    prune: bool,
    invalid: set[str] | None = None,
) -> list[Problem]:
    """Duplicate codes, unknown parents, cycles and levels, over the file plus the store.

    ``stored`` maps each stored region code to (level, parent code); ``invalid`` holds codes of
    features already refused, which are not reported again as unknown parents.
    """
    invalid = invalid or set()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for spec in specs:
        if spec.code in seen:
            problems.append(
                Problem(
                    spec.index, spec.code, f"duplicate code (also feature {seen[spec.code] + 1})"
                )
            )
        else:
            seen[spec.code] = spec.index
    in_file = {spec.code: spec for spec in specs}
    final = {} if prune else dict(stored)
    final.update({spec.code: (spec.level, spec.parent) for spec in specs})
    for spec in specs:
        if spec.parent is None or spec.parent in invalid:
            continue
        if spec.parent not in final:
            if prune and spec.parent in stored:
                reason = f"parent {spec.parent} is not in the file and would be pruned"
            else:
                reason = f"unknown parent {spec.parent}"
            problems.append(Problem(spec.index, spec.code, reason))
    # Levels and cycles over the final tree, so stored children of re-levelled regions count too.
    for code, (level, parent) in final.items():
        if parent is None or parent not in final:
            continue
        index = in_file[code].index if code in in_file else None
        parent_level = final[parent][0]
        if LEVEL_RANK[parent_level] >= LEVEL_RANK[level]:
            problems.append(
                Problem(index, code, f"a {level} cannot be under the {parent_level} {parent}")
            )
    problems.extend(_cycles(final, in_file))
    return problems


def _cycles(
    final: dict[str, tuple[str, str | None]], in_file: dict[str, FeatureSpec]
) -> list[Problem]:
    problems: list[Problem] = []
    done: set[str] = set()
    for start in final:
        chain: list[str] = []
        on_chain: set[str] = set()
        code: str | None = start
        while code is not None and code in final and code not in done:
            if code in on_chain:
                cycle = chain[chain.index(code) :]
                first = min(cycle)
                index = in_file[first].index if first in in_file else None
                problems.append(
                    Problem(index, first, "parent cycle: " + " → ".join([*cycle, code]))
                )
                break
            chain.append(code)
            on_chain.add(code)
            code = final[code][1]
        done.update(chain)
    return problems
