"""The map page in a real headless Chromium against a real hub serving the demo town."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.alerts.sink import AlertsSink
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.cameras.models import Camera
from gridhub.db import transaction, utcnow
from gridhub.demo.loader import RIVER_FILE
from gridhub.events import CameraStatusChanged, CheckinStored, SensorWarning
from gridhub.geo.models import Region
from tests.api.chromium import WAIT_S, csp_violations, requests_made

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


def sign_in(driver: webdriver.Chrome, username: str, password: str) -> None:
    WebDriverWait(driver, WAIT_S).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#sign-in input[name=username]"))
    )
    driver.find_element(By.CSS_SELECTOR, "#sign-in input[name=username]").send_keys(username)
    driver.find_element(By.CSS_SELECTOR, "#sign-in input[name=password]").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()


def open_map(driver: webdriver.Chrome, base: str, password: str) -> None:
    """Sign in as the admin and wait until the map has drawn."""
    driver.get(base + "/")
    sign_in(driver, "admin", password)
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
    )


def test_wrong_password_is_refused_on_the_sign_in_form(demo_hub, browser) -> None:
    base, _ = demo_hub
    browser.get(base + "/")
    sign_in(browser, "admin", "not-the-password")
    error = WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_element(By.ID, "sign-in-error").text or None
    )
    assert "wrong username or password" in error
    assert not browser.find_elements(By.CSS_SELECTOR, "path.grid-shape")
    assert not csp_violations(browser)


def test_signed_in_operator_sees_every_grid_and_a_grids_roster(demo_hub, browser, tmp_path) -> None:
    open_map(browser, *demo_hub)
    shapes = browser.find_elements(By.CSS_SELECTOR, "path.grid-shape")
    assert len(shapes) == 60
    assert browser.find_elements(By.CSS_SELECTOR, "path.overlay")  # the river
    # The map is fitted to the town: the grids fill most of the map's width or height.
    fill = browser.execute_script(
        "const m = window.gridhub.map, b = window.gridhub.grids.getBounds();"
        "const nw = m.latLngToContainerPoint(b.getNorthWest()),"
        " se = m.latLngToContainerPoint(b.getSouthEast()), s = m.getSize();"
        "return Math.max((se.x - nw.x) / s.x, (se.y - nw.y) / s.y);"
    )
    assert 0.6 < fill <= 1.0
    browser.execute_script(
        "window.gridhub.grids.getLayers().find(l => l.feature.id === 'G0101').fire('click')"
    )
    WebDriverWait(browser, WAIT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#grid-members li[data-member]"))
    )
    assert "柳湾社区第1网格" in browser.find_element(By.ID, "grid-name").text
    people = browser.find_elements(By.CSS_SELECTOR, "#grid-members li[data-member]")
    codes = [li.get_attribute("data-member") for li in people]
    assert codes[0].startswith("GW0101") and "GL0101" in codes
    assert codes.index("GL0101") < codes.index("VC01A") < codes.index("TO01")
    assert not csp_violations(browser)  # the page works under its Content-Security-Policy
    screenshot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(screenshot))
    if os.environ.get("GRIDHUB_SCREENSHOT_DIR"):
        shutil.copy(screenshot, Path(os.environ["GRIDHUB_SCREENSHOT_DIR"]) / screenshot.name)


def test_cameras_are_drawn_and_alerts_come_and_go_live(demo_hub, browser, sessions) -> None:
    open_map(browser, *demo_hub)
    with sessions() as session:
        placed = session.scalar(select(func.count(Camera.id)).where(Camera.geom.is_not(None)))
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.camera-marker")) == placed > 0
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live"
    )

    spec = AlertSpec(
        "sensor", "WL-TEST", "water_level", "red", "Xiu river over the red line",
        lon=115.910052, lat=29.102681, grids=("G0101",),
    )  # fmt: skip
    with transaction(sessions) as session:
        alert_id = raise_alert(session, spec, utcnow()).id
    row = f'#alert-list li[data-alert="{alert_id}"]'
    WebDriverWait(browser, WAIT_S).until(ec.presence_of_element_located((By.CSS_SELECTOR, row)))
    assert "Xiu river over the red line" in browser.find_element(By.CSS_SELECTOR, row).text
    assert browser.find_elements(By.CSS_SELECTOR, "path.alert-marker.severity-red")
    if os.environ.get("GRIDHUB_SCREENSHOT_DIR"):
        browser.save_screenshot(str(Path(os.environ["GRIDHUB_SCREENSHOT_DIR"]) / "live.png"))

    with transaction(sessions) as session:
        act(session, alert_id, "resolve", "operator", utcnow(), note="water going down")
    WebDriverWait(browser, WAIT_S).until(
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, row)
            and not d.find_elements(By.CSS_SELECTOR, "path.alert-marker")
        )
    )
    assert not csp_violations(browser)


HOSTILE = '<img src=x onerror="window.pwned = (window.pwned || 0) + 1">'
"""Markup a sensor, an import or a camera's owner could send; as HTML it would run script."""
IN_G0101 = {"lon": 115.910052, "lat": 29.102681, "grid": "G0101"}
TOOLTIPS = """
const [camera, worker] = arguments, live = window.gridhub.live;
const layers = {
  alert: [...live.alerts.values()].map((a) => a.marker),
  camera: [live.cameras.get(camera)],
  worker: [live.workers.get(worker)],
  grid: [window.gridhub.grids.getLayers().find((l) => l.feature.id === "G0101")],
};
const shown = {};
for (const [what, list] of Object.entries(layers)) {
  shown[what] = list.map((layer) => {
    layer.openTooltip();
    const box = layer.getTooltip().getElement();
    const seen = [box.textContent, box.querySelectorAll("*").length - 1];
    layer.closeTooltip();
    return seen;
  });
}
return shown;
"""
"""Open each layer's tooltip: its text, and how many elements it holds besides its span."""


def test_what_devices_and_imports_wrote_is_shown_as_text(demo_hub, browser, sessions) -> None:
    with transaction(sessions) as session:
        grid = session.scalars(select(Region).where(Region.code == "G0101")).one()
        grid.name = f"{HOSTILE} grid"
        assert grid.parent is not None
        grid.parent.name = f"{HOSTILE} village"
        camera = session.scalars(
            select(Camera).where(Camera.geom.is_not(None)).order_by(Camera.code)
        ).first()
        assert camera is not None
        camera.name = f"{HOSTILE} cam"
        camera_code = camera.code
    open_map(browser, *demo_hub)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live"
    )

    # What the MQTT ingest and the cameras area hand the alerts sink, as they would.
    worker = "<i>GW-X"  # a member code may hold markup without spaces or slashes
    now = utcnow()
    with transaction(sessions) as session:
        AlertsSink(AlertContext())(
            session,
            [
                SensorWarning(sensor="WL-X", kind=HOSTILE, level="red", ts=now, **IN_G0101),
                CheckinStored(None, worker, "checkpoint", in_assigned_grid=True, ts=now,
                              **IN_G0101),
                CameraStatusChanged(
                    camera_code, f"{HOSTILE} cam", "online", "offline", reason=HOSTILE,
                    grid_path=None, maintainer=None, severity="orange", ts=now, **IN_G0101,
                ),
            ],
        )  # fmt: skip
    WebDriverWait(browser, WAIT_S).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#alert-list li[data-alert]")) == 2
            and d.execute_script("return window.gridhub.live.workers.has(arguments[0])", worker)
        )
    )
    titles = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#alert-list li strong")]
    assert sorted(titles) == sorted(
        [f"WL-X 红色{HOSTILE}预警", f"摄像头 {HOSTILE} cam（{camera_code}）离线"]
    )

    shown = browser.execute_script(TOOLTIPS, camera_code, worker)
    alerts = sorted(shown["alert"])
    assert [text.split(" · ")[0] for text, _ in alerts] == sorted(titles)
    assert shown["camera"] == [[f"📷 {HOSTILE} cam · 离线", 0]]
    assert shown["worker"][0][0].startswith(f"{worker} · 巡查点签到 · ")
    assert shown["worker"][0][1] == 0
    assert shown["grid"] == [[f"{HOSTILE} grid · G0101", 0]]
    assert [extra for _, extra in alerts] == [0, 0]
    village = browser.find_elements(
        By.XPATH, f"//*[@id='map']//*[contains(text(), '{HOSTILE} village')]"
    )
    assert [v.text for v in village] == [f"{HOSTILE} village"]  # the permanent village label
    options = browser.find_elements(By.CSS_SELECTOR, "select[name=village] option")
    assert f"{HOSTILE} village" in [o.text for o in options]  # the alert filter, as text

    browser.execute_script(
        "window.gridhub.grids.getLayers().find(l => l.feature.id === 'G0101').fire('click')"
    )
    WebDriverWait(browser, WAIT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#grid-members li[data-member]"))
    )
    assert browser.find_element(By.ID, "grid-name").text == f"{HOSTILE} grid"
    assert (
        f"{HOSTILE} village · G0101" in browser.find_element(By.CSS_SELECTOR, "#detail .path").text
    )

    # No element was made from the markup, no script ran, and nothing fetched its "x".
    assert browser.execute_script("return document.querySelectorAll('img[src=x], i').length") == 0
    assert browser.execute_script("return window.pwned") is None
    assert not [r.url for r in requests_made(browser) if r.url.endswith("/x")]
    assert not csp_violations(browser)


class TestBaseMap:
    """A tile server of the operator's own, on another origin than the hub."""

    @pytest.fixture
    def tiles(self) -> Iterator[HTTPServer]:
        server = HTTPServer(host="127.0.0.1", port=0)
        tile = (STATIC_DIR / "vendor/leaflet/images/layers.png").read_bytes()
        server.expect_request(re.compile(r"^/[0-9]+/[0-9]+/[0-9]+\.png$")).respond_with_data(
            tile, content_type="image/png"
        )
        server.start()
        yield server
        server.clear()
        server.stop()

    @pytest.fixture
    def dashboard(self, tiles: HTTPServer) -> dict[str, Any]:
        return {"overlays": [RIVER_FILE], "tile_url": f"{tiles.url_for('/')}{{z}}/{{x}}/{{y}}.png"}

    def test_tiles_load_under_the_pages_policy(self, demo_hub, browser, tiles) -> None:
        open_map(browser, *demo_hub)
        WebDriverWait(browser, WAIT_S).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "img.leaflet-tile-loaded")) >= 4
        )
        assert len(tiles.log) >= 4
        assert not csp_violations(browser)
