"""The demo's phone user (printed by ``gridhub demo``) sees the checkpoints of their grid:
the demo town's grids carry them, each inside its grid."""

import httpx
import pytest
from shapely.geometry import Point, shape

from gridhub.db import transaction
from gridhub.demo.loader import PHONE_USER, reset_phone_user
from tests.api.conftest import dashboard, demo_hub, frigate, with_cameras  # noqa: F401  (fixtures)
from tests.demo.test_demo import features

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


def test_the_demo_phone_user_sees_the_checkpoints_of_their_grid(demo_hub, sessions):  # noqa: F811
    base, _ = demo_hub
    with transaction(sessions) as session:
        password = reset_phone_user(session)
    form = {"username": PHONE_USER[0], "password": password}
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    patrol = httpx.get(
        f"{base}/api/v1/me/patrol", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert patrol["member"]["code"] == PHONE_USER[1]
    [grid] = [f["properties"]["code"] for f in patrol["grids"]["features"]]
    points = patrol["checkpoints"]
    assert len(points) >= 3 and {p["grid"] for p in points} == {grid}
    assert len({p["id"] for p in points}) == len(points) and all(p["name"] for p in points)
    area = shape(features("grid")[grid]["geometry"])
    assert all(area.contains(Point(p["lon"], p["lat"])) for p in points)
