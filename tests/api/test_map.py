"""The dashboard's page and ``/api/v1/map``: offline assets, overlays, clear errors."""

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gridhub.api.app import create_app
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.api.users import create_user
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.demo.loader import RIVER_FILE
from gridhub.hub import Hub

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


@pytest.fixture
def open_map(
    database_url: str, engine, sessions, tmp_path: Path
) -> Iterator[Callable[..., TestClient]]:
    """A signed-in client of a hub with the given dashboard settings."""
    with transaction(sessions) as session:
        create_user(session, "op", "operator-password", role="operator")
    clients: list[TestClient] = []

    def client(**dashboard: object) -> TestClient:
        settings = load_settings(database_url=database_url, data_dir=tmp_path, dashboard=dashboard)
        hub = Hub(settings=settings, engine=engine, sessions=sessions)
        test_client = TestClient(create_app(hub, manage_services=False))
        clients.append(test_client)
        form = {"username": "op", "password": "operator-password"}
        token = test_client.post("/api/v1/auth/token", data=form).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        return test_client

    yield client
    for test_client in clients:
        test_client.close()


def test_the_page_and_all_its_assets_are_served_by_the_hub_itself(open_map) -> None:
    client = open_map()
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    # Scripts, styles and images; a link to another page (the flood view) is no asset.
    assets = re.findall(r'(?:src=|<link [^>]*href=)"([^"]+)"', page.text)
    assert assets and all(asset.startswith("/static/") for asset in assets)  # no CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    for module in ("main", "api", "grids", "panel"):
        assert client.get(f"/static/js/{module}.js").status_code == 200
    assert client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200
    assert "Leaflet 1.9.4" in client.get("/static/vendor/leaflet/leaflet.js").text


def test_map_gives_the_tile_layer_and_the_overlay_features(open_map) -> None:
    client = open_map(overlays=[RIVER_FILE], tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    body = client.get("/api/v1/map").json()
    assert body["tile_url"] == "http://127.0.0.1:9/{z}/{x}/{y}.png"
    kinds = [f["properties"]["kind"] for f in body["overlays"]["features"]]
    assert sorted(kinds) == ["centreline", "water"]
    assert open_map().get("/api/v1/map").json()["tile_url"] is None


def test_map_needs_a_signed_in_user(open_map) -> None:
    client = open_map()
    del client.headers["Authorization"]
    assert client.get("/api/v1/map").status_code == 401


def test_a_broken_overlay_file_is_named_in_the_error(open_map, tmp_path: Path) -> None:
    broken = tmp_path / "roads.geojson"
    broken.write_text('{"type": "Feature"}')
    response = open_map(overlays=[broken]).get("/api/v1/map")
    assert response.status_code == 500
    assert "roads.geojson" in response.json()["detail"]
    assert "FeatureCollection" in response.json()["detail"]
    missing = open_map(overlays=[tmp_path / "nope.geojson"]).get("/api/v1/map")
    assert missing.status_code == 500 and "nope.geojson" in missing.json()["detail"]


def mbtiles_file(path: Path, tiles: dict[tuple[int, int, int], bytes]) -> Path:
    """An MBTiles 1.3 file (rows counted from the south) holding ``{(z, x, y): data}``."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)"
        )
        db.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("name", "town"),
                ("format", "png"),
                ("maxzoom", "17"),
                ("attribution", "© 湖滨县自然资源局"),
            ],
        )
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    return path


def test_the_hub_serves_its_own_mbtiles_base_map(open_map, tmp_path: Path) -> None:
    tile = (STATIC_DIR / "vendor/leaflet/images/layers.png").read_bytes()
    other = (STATIC_DIR / "vendor/leaflet/images/marker-icon.png").read_bytes()
    path = mbtiles_file(
        tmp_path / "town.mbtiles", {(14, 13466, 6763): tile, (14, 13466, 6764): other}
    )
    client = open_map(mbtiles=path, tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    body = client.get("/api/v1/map").json()
    assert body["tile_url"] == "/tiles/{z}/{x}/{y}.png"  # the hub's own wins
    assert body["tile_attribution"] == "© 湖滨县自然资源局" and body["tile_max_zoom"] == 17
    del client.headers["Authorization"]  # tiles are drawn by <img>: no token to send
    got = client.get("/tiles/14/13466/6763.png")
    assert (
        got.status_code == 200
        and got.content == tile
        and got.headers["content-type"] == "image/png"
    )
    assert client.get("/tiles/14/13466/6764.png").content == other  # the XYZ row, not the TMS one
    assert client.get("/tiles/14/13466/6765.png").status_code == 404
    assert client.get("/tiles/14/13466/6763.exe").status_code == 404


def test_a_file_that_is_no_mbtiles_is_named_in_the_error(open_map, tmp_path: Path) -> None:
    bogus = tmp_path / "town.mbtiles"
    bogus.write_text("not sqlite")
    response = open_map(mbtiles=bogus).get("/api/v1/map")
    assert response.status_code == 500 and "town.mbtiles" in response.json()["detail"]


def test_the_flood_view_and_its_assets_are_served_by_the_hub_itself(open_map) -> None:
    client = open_map()
    page = client.get("/console/flood")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assets = re.findall(r'(?:src=|<link [^>]*href=)"([^"]+)"', page.text)
    assert "/static/js/flood.js" in assets and "/static/vendor/chartjs/chart.umd.min.js" in assets
    for asset in assets:
        assert asset.startswith("/static/") and client.get(asset).status_code == 200, asset
