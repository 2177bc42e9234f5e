"""A small fictional town as an import file: county › town › villages › grids.

G1 has a hole, G1 and G2 share the border lon 118.01, G3 is a MultiPolygon of two squares.
"""

import copy
from typing import Any


def square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def feature(code: str, level: str, parent: str | None, geometry: Any = None, **extra: Any) -> dict:
    properties: dict[str, Any] = {"code": code, "name": f"{code} 名称", "level": level}
    if parent is not None:
        properties["parent"] = parent
    properties.update(extra)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(*rings: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


HOLE = square(118.004, 30.004, 0.002)


def town() -> dict:
    features = [
        feature("C1", "county", None),
        feature("T1", "town", "C1", polygon(square(118.0, 30.0, 0.05)), population=23000),
        feature("V1", "village", "T1"),
        feature("V2", "village", "T1"),
        feature(
            "G1", "grid", "V1", polygon(square(118.0, 30.0, 0.01), HOLE), tags=["river"], 户数=310
        ),
        feature("G2", "grid", "V1", polygon(square(118.01, 30.0, 0.01))),
        feature(
            "G3",
            "grid",
            "V2",
            {
                "type": "MultiPolygon",
                "coordinates": [[square(118.0, 30.01, 0.01)], [square(118.03, 30.0, 0.01)]],
            },
            note={"leader": "张三"},
        ),
    ]
    return {"type": "FeatureCollection", "features": features}


def with_feature(collection: dict, new: dict) -> dict:
    result = copy.deepcopy(collection)
    result["features"].append(new)
    return result


def by_code(collection: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f for f in collection["features"]}
