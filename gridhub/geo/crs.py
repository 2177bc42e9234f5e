"""WGS84 ↔ GCJ-02 (AMap, Tencent) ↔ BD-09 (Baidu) with the public formulas, scalar or numpy.

GCJ-02 is WGS84 plus a fixed, smooth offset (Krasovsky ellipsoid constants and sine terms) inside
China and WGS84 itself outside; BD-09 is a further offset of GCJ-02. The forward directions are
closed formulas; the inverses are computed by fixed-point iteration to about 1e-10 degrees
(see docs/coordinates.md).
"""

from collections.abc import Callable
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
BD_X_PI = np.pi * 3000.0 / 180.0
# Iterating the forward offset converges by ~2 orders of magnitude per step; 1e-12° is far below
# both float noise of the formulas and any use (1e-9° is ~0.1 mm).
INVERSE_TOLERANCE_DEG = 1e-12
INVERSE_MAX_STEPS = 30

FloatArray = NDArray[np.float64]
Transform = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Where GCJ-02 is defined as WGS84: outside the usual rectangle around China."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Transform, lon: FloatArray, lat: FloatArray, start: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from ``start``."""
    guess_lon, guess_lat = start
    for _ in range(INVERSE_MAX_STEPS):
        got_lon, got_lat = forward(guess_lon, guess_lat)
        err_lon = got_lon - lon
        err_lat = got_lat - lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.all(np.abs(err_lon) < INVERSE_TOLERANCE_DEG) and np.all(
            np.abs(err_lat) < INVERSE_TOLERANCE_DEG
        ):
            break
    return guess_lon, guess_lat


def _gcj02_to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_wgs84_to_gcj02, lon, lat, (lon, lat))


def _bd09_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


_TO_WGS84: dict[str, Transform] = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": _gcj02_to_wgs84,
    "bd09": lambda lon, lat: _gcj02_to_wgs84(*_bd09_to_gcj02(lon, lat)),
}
_FROM_WGS84: dict[str, Transform] = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": _wgs84_to_gcj02,
    "bd09": lambda lon, lat: _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat)),
}


def check_crs(crs: str) -> str:
    """The normalised name of ``crs`` or a ValueError naming the accepted ones."""
    name = crs.strip().lower().replace("-", "").replace("_", "")
    if name not in CRS_NAMES:
        raise ValueError(
            f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}"
        )
    return name


@overload
def convert(lon: float, lat: float, source: str, target: str) -> tuple[float, float]: ...
@overload
def convert(
    lon: ArrayLike, lat: ArrayLike, source: str, target: str
) -> tuple[FloatArray, FloatArray]: ...
def convert(
    lon: ArrayLike, lat: ArrayLike, source: str, target: str
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert coordinates between any two of wgs84, gcj02 and bd09 (floats or arrays)."""
    source = check_crs(source)
    target = check_crs(target)
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if source != target:
        lon_a, lat_a = _FROM_WGS84[target](*_TO_WGS84[source](lon_a, lat_a))
    if scalar:
        return float(lon_a), float(lat_a)
    return lon_a, lat_a


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """(lon, lat) given in ``crs`` (wgs84, gcj02 or bd09) as WGS84."""
    return convert(float(lon), float(lat), crs, "wgs84")


def to_wgs84_many(lons: ArrayLike, lats: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Arrays of coordinates given in ``crs`` as WGS84 arrays."""
    return convert(
        np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64), crs, "wgs84"
    )


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """WGS84 (lon, lat) expressed in ``crs``."""
    return convert(float(lon), float(lat), "wgs84", crs)
