"""The command-centre console in a real headless Chromium against a real hub serving the demo
town: acting on alerts from the map, cameras' pictures, the language switch, the phone
layout, and a scoped operator who sees only their village."""

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.models import Alert, AlertEvent
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.alerts.sink import AlertsSink
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.cameras.models import Camera
from gridhub.config import load_settings
from gridhub.db import transaction, utcnow
from gridhub.events import DroneMoved
from gridhub.geo.models import Region
from gridhub.ingest.models import Checkin
from gridhub.secrets import SecretBox
from tests.api import chromium
from tests.api.chromium import WAIT_S, csp_violations, off_host, requests_made
from tests.api.test_dashboard import HOSTILE, sign_in
from tests.api.test_map import mbtiles_file
from tests.support.factories import TEST_PASSWORD, auth_header, make_user
from tests.support.rtsp import RtspServer
from tests.support.services import free_port, unavailable

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)

G0101 = {"lon": 115.910052, "lat": 29.102681}
"""A point in 柳湾社区第1网格 (village V01), where camera CAM001 stands."""


def wait(driver: webdriver.Chrome, condition, timeout: float = WAIT_S):
    return WebDriverWait(driver, timeout).until(condition)


def open_console(driver: webdriver.Chrome, base: str, username: str, password: str) -> None:
    driver.get(base + "/")
    sign_in(driver, username, password)
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    wait(
        driver, lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live"
    )


def raise_in(sessions, grid: str, title: str, severity: str = "red", **place: float) -> int:
    spec = AlertSpec("sensor", f"TEST-{grid}-{title[:8]}", "water_level", severity, title,
                     grids=(grid,), **place)  # fmt: skip
    with transaction(sessions) as session:
        return raise_alert(session, spec, utcnow()).id


def click_alert(driver: webdriver.Chrome, alert_id: int) -> None:
    # Found and clicked in one step: the list is redrawn whenever a live event arrives.
    click = "const li = document.querySelector(arguments[0]); if (li) li.click(); return !!li"
    wait(driver, lambda d: d.execute_script(click, f'#alert-list li[data-alert="{alert_id}"]'))
    wait(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'#alert-title[data-alert="{alert_id}"]')
    )


def shown_status(driver: webdriver.Chrome) -> str | None:
    """The state the detail panel shows, read in one step (the panel is redrawn after acts)."""
    return driver.execute_script(
        "return document.getElementById('alert-status')?.dataset.status ?? null"
    )


def listed_status(driver: webdriver.Chrome, alert_id: int) -> str | None:
    return driver.execute_script(
        "return document.querySelector(`#alert-list li[data-alert='${arguments[0]}']`)"
        "?.dataset.status ?? null",
        alert_id,
    )


@pytest.fixture
def second_browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = chromium.start(tmp_path / "chromium-2")
    yield driver
    driver.quit()


def test_acting_on_an_alert_from_the_map_changes_it_for_everyone(
    demo_hub, browser, second_browser, sessions
) -> None:
    base, password = demo_hub
    alert_id = raise_in(sessions, "G0101", "柳湾河水位超过红线", **G0101)
    open_console(browser, base, "admin", password)
    open_console(second_browser, base, "admin", password)
    click_alert(browser, alert_id)
    buttons = [b.get_attribute("data-action") for b in browser.find_elements(
        By.CSS_SELECTOR, "#alert-actions button[data-action]")]  # fmt: skip
    assert buttons == ["ack", "progress", "resolve", "assign", "cancel"]
    browser.find_element(By.CSS_SELECTOR, "#alert-actions textarea").send_keys(f"{HOSTILE} 已派人")
    browser.find_element(By.CSS_SELECTOR, '[data-action="ack"]').click()
    wait(browser, lambda d: shown_status(d) == "acknowledged")

    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "acknowledged" and alert.acked_by == "admin"
        notes = session.scalars(select(AlertEvent.note).where(AlertEvent.alert_id == alert_id))
        assert f"{HOSTILE} 已派人" in list(notes)
    # The other operator's list follows, and the note reads as text in the timeline.
    other = f'#alert-list li[data-alert="{alert_id}"]'
    wait(second_browser, lambda d: listed_status(d, alert_id) == "acknowledged")
    assert "已确认" in second_browser.find_element(By.CSS_SELECTOR, other).text
    notes = [n.text for n in browser.find_elements(By.CSS_SELECTOR, "#alert-events .note")]
    assert f"{HOSTILE} 已派人" in notes
    assert browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    assert browser.execute_script("return window.pwned") is None

    # Assign: the picker lists the grid's people in escalation order, who is on duty shown.
    browser.find_element(By.CSS_SELECTOR, '[data-action="assign"]').click()
    picker = browser.find_element(By.CSS_SELECTOR, "#alert-actions select[name=assignee]")
    codes = [o.get_attribute("value") for o in picker.find_elements(By.TAG_NAME, "option")]
    assert codes[0].startswith("GW0101") and codes.index("GL0101") < codes.index("VC01A")
    picker.find_element(By.CSS_SELECTOR, 'option[value="GL0101"]').click()
    browser.find_element(By.CSS_SELECTOR, '[data-action="assign"]').click()
    wait(browser, lambda d: shown_status(d) == "dispatched")
    with sessions() as session:
        assert session.get(Alert, alert_id).assignees == ["GL0101"]  # type: ignore[union-attr]

    # The other operator has it open, a note half typed, when a worker takes it on over MQTT:
    # the open panel follows live and keeps the note.
    click_alert(second_browser, alert_id)
    typing = second_browser.find_element(By.CSS_SELECTOR, "#alert-actions textarea")
    typing.send_keys("准备派车")
    with transaction(sessions) as session:
        act(session, alert_id, "progress", "GW0101A", utcnow(), channel="mqtt")
    wait(second_browser, lambda d: shown_status(d) == "in_progress")
    wait(browser, lambda d: shown_status(d) == "in_progress")
    assert (
        second_browser.find_element(By.ID, "action-outcome").text
        == "此告警刚有变化，已显示最新状态。"
    )
    typed = second_browser.find_element(By.CSS_SELECTOR, "#alert-actions textarea")
    assert typed.get_attribute("value") == "准备派车"

    # Someone resolves it elsewhere and this page acts before the change reaches it: a plain
    # 409 that names the state, and the panel shows the alert as it is now.
    with transaction(sessions) as session:
        act(session, alert_id, "resolve", "GW0101A", utcnow(), note="水位回落", channel="mqtt")
    browser.execute_script("document.querySelector('[data-action=\"progress\"]').click()")
    wait(browser, lambda d: shown_status(d) == "resolved")
    assert "已完成" in browser.find_element(By.ID, "action-outcome").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#alert-actions button[data-action]")
    wait(second_browser, lambda d: not d.find_elements(By.CSS_SELECTOR, other))
    assert not csp_violations(browser) and not csp_violations(second_browser)


def test_a_viewer_sees_the_alert_but_no_buttons(demo_hub, browser, sessions) -> None:
    base, _ = demo_hub
    with transaction(sessions) as session:
        make_user(session, "watcher", role="viewer")
    alert_id = raise_in(sessions, "G0101", "烟雾报警", severity="orange", **G0101)
    open_console(browser, base, "watcher", TEST_PASSWORD)
    click_alert(browser, alert_id)
    assert browser.find_elements(By.ID, "no-actions")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-action]")


def test_a_village_operator_sees_only_their_village(demo_hub, browser, sessions) -> None:
    base, _ = demo_hub
    with transaction(sessions) as session:
        make_user(session, "v01", role="operator", scope="V01")
        v01 = session.scalars(select(Region).where(Region.code == "V01")).one()
        grids = session.scalar(
            select(func.count(Region.id)).where(
                Region.level == "grid", Region.path.startswith(v01.path)
            )
        )
        ours = set(session.scalars(select(Camera.code).join(Camera.grid).where(
            Region.path.startswith(v01.path), Camera.geom.is_not(None))))  # fmt: skip
    inside = raise_in(sessions, "G0101", "柳湾社区内的告警", **G0101)
    outside = raise_in(sessions, "G0201", "别村的告警")
    open_console(browser, base, "v01", TEST_PASSWORD)
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#alert-list li[data-alert="{inside}"]'),
    )
    assert not browser.find_elements(By.CSS_SELECTOR, f'#alert-list li[data-alert="{outside}"]')
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.grid-shape")) == grids > 0
    shown = set(browser.execute_script("return [...window.gridhub.layers.cameras.cameras.keys()]"))
    assert shown == ours and ours
    # An alert raised elsewhere while watching does not arrive either.
    later = raise_in(sessions, "G0202", "又一个别村的告警", **{"lon": 115.93, "lat": 29.11})
    marker = raise_in(sessions, "G0102", "柳湾社区第二个告警")
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#alert-list li[data-alert="{marker}"]'),
    )
    assert not browser.find_elements(By.CSS_SELECTOR, f'#alert-list li[data-alert="{later}"]')
    assert not csp_violations(browser)


def test_the_language_switch_is_remembered(demo_hub, browser, sessions) -> None:
    base, password = demo_hub
    raise_in(sessions, "G0101", "水位", **G0101)
    open_console(browser, base, "admin", password)
    heading = lambda d: d.find_element(By.CSS_SELECTOR, "#alerts h3").text  # noqa: E731
    assert heading(browser).startswith("未办结告警")
    assert browser.find_element(By.ID, "language").text == "English"
    browser.find_element(By.ID, "language").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    assert heading(browser).startswith("Open alerts")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    severities = [
        o.text for o in browser.find_elements(By.CSS_SELECTOR, "select[name=severity] option")
    ]
    assert severities == ["All severities", "Red", "Orange", "Yellow", "Blue"]
    browser.refresh()  # remembered
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    assert heading(browser).startswith("Open alerts")
    assert "administrator" in browser.find_element(By.ID, "who").text


def test_on_a_phone_the_map_fills_the_screen_under_a_bottom_sheet(
    demo_hub, browser, sessions
) -> None:
    base, password = demo_hub
    alert_id = raise_in(sessions, "G0101", "手机上的告警", **G0101)
    browser.set_window_size(390, 844)
    open_console(browser, base, "admin", password)
    size = browser.execute_script(
        "const m = document.getElementById('map').getBoundingClientRect(),"
        " p = document.getElementById('panel').getBoundingClientRect();"
        "return {map: m.width, panelTop: p.top, inner: innerWidth, tall: innerHeight};"
    )
    assert size["inner"] <= 400 and size["map"] >= 350
    assert size["panelTop"] > size["tall"] * 0.8  # the sheet rests at the bottom
    browser.find_element(By.ID, "sheet-toggle").click()
    click_alert(browser, alert_id)
    top = browser.execute_script(
        "return document.getElementById('panel').getBoundingClientRect().top"
    )
    assert top < size["tall"] * 0.6  # opened to show the detail
    assert (
        browser.execute_script(
            "return document.getElementById('map').getBoundingClientRect().width"
        )
        >= 350
    )


class TestCameraPictures:
    """Camera CAM001 streams from a real RTSP server (GStreamer's test pattern)."""

    @pytest.fixture
    def with_cameras(self) -> bool:
        return True

    @pytest.fixture
    def rtsp(self, demo_hub, sessions, database_url, tmp_path) -> Iterator[RtspServer]:
        why = RtspServer.available()
        if why:
            unavailable(why)
        # The demo hub's box: its key is derived from the secret in its data directory.
        box = SecretBox.for_settings(load_settings(database_url=database_url, data_dir=tmp_path))
        with RtspServer(free_port()) as server:
            with transaction(sessions) as session:
                camera = session.scalars(select(Camera).where(Camera.code == "CAM001")).one()
                camera.stream_url, camera.sub_stream_url = box.seal(server.url("ball")), None
                camera.snapshot_url = None
            yield server

    def test_a_camera_shows_its_picture_then_its_live_view(self, rtsp, demo_hub, browser) -> None:
        base, password = demo_hub
        open_console(browser, base, "admin", password)
        browser.execute_script(
            "window.gridhub.layers.cameras.cameras.get('CAM001').marker.fire('click')"
        )
        width = (
            "const i = document.getElementById('camera-picture');"
            " return i && i.complete && i.naturalWidth"
        )
        assert wait(browser, lambda d: d.execute_script(width)) == 320  # the RTSP server's frame
        browser.find_element(By.ID, "camera-live").click()
        frames = "return Number(document.getElementById('camera-picture').dataset.frames || 0)"
        wait(browser, lambda d: d.execute_script(frames) >= 3)
        browser.find_element(By.ID, "camera-live").click()  # stop
        assert not csp_violations(browser)

    def test_an_alerts_detail_shows_the_nearest_cameras_pictures(
        self, rtsp, demo_hub, browser, sessions
    ) -> None:
        base, password = demo_hub
        alert_id = raise_in(sessions, "G0101", "村委会门口有人摔倒", **G0101)
        open_console(browser, base, "admin", password)
        click_alert(browser, alert_id)
        first = (
            "const i = document.querySelector('.camera-thumb img[data-camera=CAM001]');"
            " return i && i.complete && i.naturalWidth"
        )
        assert wait(browser, lambda d: d.execute_script(first)) == 320
        thumbs = browser.find_elements(By.CSS_SELECTOR, ".camera-thumb")
        assert len(thumbs) == 3 and "CAM001" in thumbs[0].find_element(
            By.TAG_NAME, "img"
        ).get_attribute("data-camera")


def test_the_alert_says_what_each_caller_may_do_and_meta_says_who(
    client, town, sessions, settings
) -> None:
    with transaction(sessions) as session:
        users = {
            role: auth_header(settings, make_user(session, f"u-{role}", role=role))
            for role in ("operator", "grid_worker", "viewer")
        }
        users["elsewhere"] = auth_header(
            settings, make_user(session, "u-v2", role="operator", scope="V2")
        )
        spec = AlertSpec("sensor", "S1", "smoke", "orange", "smoke", grids=("G11",))
        alert_id = raise_alert(session, spec, utcnow()).id
    may = {
        who: client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json().get("actions")
        for who, headers in users.items()
    }
    assert may["operator"] == ["ack", "progress", "resolve", "assign", "cancel"]
    assert may["grid_worker"] == ["ack", "progress", "resolve"]
    assert may["viewer"] == []
    assert may["elsewhere"] is None  # not in their scope: 404
    # What a grid worker is not offered, the hub refuses, and the meta says why.
    refused = client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=users["grid_worker"])
    assert refused.status_code == 403
    meta = client.get("/api/v1/meta", headers=users["viewer"]).json()
    roles = {a["name"]: a["roles"] for a in meta["alert_actions"]}
    assert "grid_worker" not in roles["cancel"] and "grid_worker" in roles["ack"]
    assert roles["dispatch"] == []
    assert meta["translated_args"]["level"] == "severity"


def test_a_drone_moves_with_its_telemetry_and_says_how_it_flies(
    demo_hub, browser, sessions
) -> None:
    base, password = demo_hub
    open_console(browser, base, "admin", password)
    drone = "window.gridhub.layers.cameras.cameras.get('UAV01')"
    where = f"return {drone}.marker.getLatLng()"
    before = browser.execute_script(where)
    returning = DroneMoved(
        "UAV01", lon=115.9100, lat=29.1030, grid="G0101", ts=utcnow(),
        alt_m=118.4, battery_pct=24, heading=270, mode_code=9,
    )  # fmt: skip
    with transaction(sessions) as session:
        AlertsSink(AlertContext())(session, [returning])
    wait(browser, lambda d: abs(d.execute_script(where)["lat"] - 29.1030) < 1e-9)
    assert before["lat"] != 29.1030
    tooltip = browser.execute_script(f"return {drone}.marker.getTooltip().getContent().textContent")
    assert tooltip.startswith("🛩 ") and "自动返航 · 电量 24% · 高度 118 米" in tooltip


def test_the_grids_not_patrolled_today_and_the_camera_shares(demo_hub, browser, sessions) -> None:
    base, password = demo_hub
    now = utcnow()
    with transaction(sessions) as session:
        session.add(Checkin(
            worker_code="GW0101A", msg_id="today-1", kind="checkpoint", ts=now, received_at=now,
            lon=G0101["lon"], lat=G0101["lat"], crs="wgs84", grid_code="G0101",
            in_assigned_grid=True,
        ))  # fmt: skip
        grids = session.scalar(select(func.count(Region.id)).where(Region.level == "grid"))
    open_console(browser, base, "admin", password)
    choose = "const s = document.getElementById('theme'); s.value = arguments[0];"
    choose += " s.dispatchEvent(new Event('change'));"
    browser.execute_script(choose, "unpatrolled")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#unpatrolled li"))
    missing = [li.get_attribute("data-grid") for li in browser.find_elements(
        By.CSS_SELECTOR, "#unpatrolled li")]  # fmt: skip
    assert "G0101" not in missing and len(missing) == grids - 1
    fill = (
        "return window.gridhub.grids.getLayers()"
        ".find(l => l.feature.id === arguments[0]).options.fillColor"
    )
    assert browser.execute_script(fill, "G0101") != browser.execute_script(fill, "G0102")

    browser.execute_script(choose, "health_now")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#health-table tbody tr"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#health-table tbody tr")
    assert "柳湾社区" in [r.find_element(By.TAG_NAME, "td").text for r in rows]
    assert not csp_violations(browser)


def test_an_area_warning_rings_a_banner_and_is_drawn_named_by_its_grids(
    demo_hub, browser, sessions
) -> None:
    base, password = demo_hub
    open_console(browser, base, "admin", password)
    lon, lat = G0101["lon"], G0101["lat"]
    ring = [[lon - 0.004, lat - 0.004], [lon + 0.004, lat - 0.004], [lon + 0.004, lat + 0.004],
            [lon - 0.004, lat + 0.004], [lon - 0.004, lat - 0.004]]  # fmt: skip
    spec = AlertSpec("area_warning", "CAP-1", "flood", "red", "柳湾河洪水红色预警",
                     area={"type": "Polygon", "coordinates": [ring]})  # fmt: skip
    with transaction(sessions) as session:
        alert = raise_alert(session, spec, utcnow())
        alert_id, grids = alert.id, list(alert.grids)
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_(grids))).tuples().all())  # fmt: skip
    assert len(grids) >= 2
    banner = wait(browser, lambda d: d.find_element(By.ID, "banner").is_displayed()
                  and d.find_element(By.ID, "banner"))  # fmt: skip
    assert "柳湾河洪水红色预警" in banner.text and "红色" in banner.text
    assert banner.get_attribute("data-alert") == str(alert_id)
    banner.click()
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#alert-title[data-alert="{alert_id}"]'),
    )
    place = browser.find_element(By.ID, "alert-place").text
    assert all(names[code] in place for code in grids) and "G0101" not in place
    assert browser.find_elements(By.CSS_SELECTOR, "path.alert-area")


def tile_range(z: int, west: float, south: float, east: float, north: float) -> Iterator[tuple]:
    """The XYZ tiles covering a box at zoom ``z`` (Web Mercator)."""

    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 1 << z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    (x0, y0), (x1, y1) = xy(west, north), xy(east, south)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield z, x, y


class TestOwnBaseMap:
    """An offline command centre: the base map is an MBTiles file the hub serves itself."""

    @pytest.fixture
    def dashboard(self, tmp_path: Path) -> dict[str, Any]:
        picture = (STATIC_DIR / "vendor/leaflet/images/layers.png").read_bytes()
        box = (115.85, 29.05, 116.0, 29.15)  # the demo town, with a margin
        tiles = {key: picture for z in range(11, 17) for key in tile_range(z, *box)}
        return {"mbtiles": mbtiles_file(tmp_path / "town.mbtiles", tiles)}

    def test_tiles_come_from_the_hub_under_its_policy(self, demo_hub, browser) -> None:
        base, password = demo_hub
        open_console(browser, base, "admin", password)
        wait(
            browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "img.leaflet-tile-loaded")) >= 4
        )
        sources = browser.execute_script(
            "return [...document.querySelectorAll('img.leaflet-tile-loaded')].map(i => i.src)"
        )
        assert all(src.startswith(f"{base}/tiles/") for src in sources)
        assert not [r for r in off_host(requests_made(browser), base)]
        assert not csp_violations(browser)
