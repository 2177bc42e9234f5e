"""WGS84 ↔ GCJ-02 ↔ BD-09 against published reference values and by round trips."""

import numpy as np
import pytest
from pyproj import Geod

from gridhub.geo.crs import check_crs, convert, from_wgs84, to_wgs84, to_wgs84_many

# Reference outputs of the widely used coordtransform library (wandergis/coordtransform,
# test/app.js) for the input (116.404, 39.915). Its gcj02→wgs84 and bd09→gcj02 are one-step
# approximations, so only the closed-form directions are compared exactly.
POINT = (116.404, 39.915)
GEOD = Geod(ellps="WGS84")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def test_forward_formulas_match_reference_values():
    assert convert(*POINT, "wgs84", "gcj02") == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )
    assert convert(*POINT, "gcj02", "bd09") == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )


def test_inverses_agree_with_the_reference_approximations_to_a_metre():
    # The one-step approximations are off by up to a few metres; ours iterate.
    assert metres(convert(*POINT, "gcj02", "wgs84"), (116.39775550083061, 39.91359571849836)) < 1
    assert metres(convert(*POINT, "bd09", "gcj02"), (116.39762729119315, 39.90865673957631)) < 1


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trips_within_a_micrometre_across_china(crs):
    rng = np.random.default_rng(3)
    lons = rng.uniform(73.5, 134.5, 5000)
    lats = rng.uniform(18.5, 53.0, 5000)
    wgs_lon, wgs_lat = to_wgs84_many(lons, lats, crs)
    back_lon, back_lat = convert(wgs_lon, wgs_lat, "wgs84", crs)
    assert np.abs(back_lon - lons).max() < 1e-9
    assert np.abs(back_lat - lats).max() < 1e-9
    # and the offset is the familiar few hundred metres, not zero
    shift = GEOD.inv(lons, lats, wgs_lon, wgs_lat)[2]
    assert 50 < np.median(shift) < 1500


def test_scalar_and_vector_forms_agree():
    lon, lat = to_wgs84(121.4737, 31.2304, "bd09")
    lons, lats = to_wgs84_many([121.4737], [31.2304], "bd09")
    assert (lon, lat) == (lons[0], lats[0])
    assert from_wgs84(lon, lat, "bd09") == pytest.approx((121.4737, 31.2304), abs=1e-9)


def test_outside_china_gcj02_is_wgs84():
    assert to_wgs84(2.3522, 48.8566, "gcj02") == (2.3522, 48.8566)
    assert convert(139.69, 35.69, "wgs84", "gcj02") == (139.69, 35.69)  # Tokyo


def test_unknown_crs_is_refused():
    assert check_crs("GCJ-02") == "gcj02"
    with pytest.raises(ValueError, match="unknown coordinate system 'utm'"):
        to_wgs84(116.4, 39.9, "utm")
