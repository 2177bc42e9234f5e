"""The map page in a real headless Chromium against a real hub serving the demo town."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from gridhub.alerts.actions import act
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.api.app import create_app
from gridhub.cameras.models import Camera
from gridhub.config import load_settings
from gridhub.db import transaction, utcnow
from gridhub.demo.loader import RIVER_FILE, load_demo, reset_admin
from gridhub.hub import Hub
from tests.support.services import free_port, unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30
pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


@pytest.fixture
def demo_hub(database_url: str, engine, sessions, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The hub over the demo town, served by uvicorn on a free port: (base URL, admin password)."""
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, dashboard={"overlays": [RIVER_FILE]}
    )
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    load_demo(sessions, hub.locator)
    with transaction(sessions) as session:
        password = reset_admin(session)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub, manage_services=False), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", password
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        unavailable(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,860",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        unavailable(f"headless Chromium does not start: {exc.msg}")
    yield driver
    driver.quit()


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
        lambda d: "live" in d.find_element(By.ID, "live-state").text
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
