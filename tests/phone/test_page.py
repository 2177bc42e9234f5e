"""The phone page in a real headless Chromium at 390×844, its position fixed and its network
cut through CDP: sign in, check in, keep check-ins with no signal across a closed page, and
acknowledge an alert that arrived on the live stream, and confirm an area warning."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from gridhub.alerts.models import Alert, AlertEvent, Receipt
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.api.app import create_app
from gridhub.db import transaction, utcnow
from gridhub.geo.models import Member, Region
from gridhub.ingest.models import Checkin, CheckinPhoto
from tests.api import chromium
from tests.support.factories import TEST_PASSWORD, grid_square, make_user
from tests.support.services import free_port

G11 = grid_square(0).centroid
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


@pytest.fixture
def served(hub, town, sessions) -> Iterator[str]:
    with transaction(sessions) as session:
        grid = session.scalar(select(Region).where(Region.code == "G11"))
        grid.properties = {"checkpoints": [{"id": "CP1", "name": "村口桥", "lon": G11.x + 0.003,
                                            "lat": G11.y + 0.002}]}  # fmt: skip
        user = make_user(session, "w11", role="grid_worker")
        user.member_id = session.scalar(select(Member.id).where(Member.code == "W11"))
    port = free_port()
    app = create_app(hub, manage_services=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + chromium.WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def phone(tmp_path: Path, served: str) -> Iterator[webdriver.Chrome]:
    driver = chromium.start(tmp_path / "chromium")
    driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": served, "permissions": ["geolocation"]}
    )
    yield driver
    driver.quit()


def as_phone(driver: webdriver.Chrome, lat: float = G11.y, lon: float = G11.x) -> None:
    """The current tab as a phone at (lat, lon); applies to this tab only."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 12}
    )
    driver.execute_cdp_cmd("Network.enable", {})


def network(driver: webdriver.Chrome, online: bool) -> None:
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def ready(driver: webdriver.Chrome) -> WebDriverWait:
    wait = WebDriverWait(driver, chromium.WAIT_S)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    return wait


def sign_in(driver: webdriver.Chrome, base: str) -> WebDriverWait:
    driver.get(base + "/m/")
    wait = ready(driver)
    driver.find_element(By.ID, "username").send_keys("w11")
    driver.find_element(By.ID, "password").send_keys(TEST_PASSWORD)
    driver.find_element(By.ID, "signin-submit").click()
    wait.until(lambda d: "W11" in d.find_element(By.ID, "who").text)
    return wait


def stored(sessions) -> list[Checkin]:
    with sessions() as session:
        return list(session.scalars(select(Checkin).order_by(Checkin.ts)))


def screenshot(driver: webdriver.Chrome, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot))
    if os.environ.get("GRIDHUB_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["GRIDHUB_SCREENSHOT_DIR"]) / name)


def test_a_worker_signs_in_and_checks_in_where_they_stand(served, phone, sessions, tmp_path):
    as_phone(phone)
    wait = sign_in(phone, served)
    assert phone.find_element(By.TAG_NAME, "h1").text == "网格员"
    # My position is on the map before I check in.
    wait.until(lambda d: f"{G11.y:.5f}, {G11.x:.5f}" in d.find_element(By.ID, "position").text)
    assert phone.find_element(By.CSS_SELECTOR, 'link[rel="manifest"]').get_attribute("href") == (
        served + "/m/manifest.webmanifest"
    )
    phone.find_element(By.ID, "note").send_keys("桥下 <b>积水</b>")
    picture = tmp_path / "bridge.jpg"
    Image.new("RGB", (800, 600), "steelblue").save(picture, "JPEG")
    phone.find_element(By.ID, "photo").send_keys(str(picture))
    Select(phone.find_element(By.ID, "checkpoint-id")).select_by_visible_text("村口桥")
    phone.find_element(By.ID, "checkpoint").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#today li[data-checkin]"))
    wait.until(lambda d: d.find_element(By.ID, "waiting").text == "")
    # The checkpoint is marked as visited today.
    wait.until(lambda d: "村口桥 ✓" in d.find_element(By.ID, "checkpoint-id").text)
    [checkin] = stored(sessions)
    assert checkin.checkpoint_id == "CP1"
    with sessions() as session:
        photo = session.get(CheckinPhoto, checkin.id)
        assert photo is not None and (photo.width, photo.height) == (800, 600)
    assert (checkin.worker_code, checkin.grid_code, checkin.kind) == ("W11", "G11", "checkpoint")
    assert (round(checkin.lat, 6), round(checkin.lon, 6)) == (round(G11.y, 6), round(G11.x, 6))
    assert checkin.accuracy_m == 12 and checkin.note == "桥下 <b>积水</b>"
    assert "G11" in phone.find_element(By.ID, "today").text
    assert chromium.csp_violations(phone) == []
    assert chromium.off_host(chromium.requests_made(phone), served) == []
    screenshot(phone, tmp_path, "phone-checkin.png")

    phone.find_element(By.ID, "language").click()  # English, and back to 中文 from there
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Grid worker")
    ready(phone)
    assert phone.find_element(By.ID, "sos").text == "SOS"
    assert phone.find_element(By.ID, "language").text == "中文"


def outbox(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    return driver.execute_async_script(
        "const done = arguments[0]; window.gridhub.outbox.waiting().then(done);"
    )


def test_checkins_made_offline_survive_a_closed_page_and_arrive_once(
    served, phone, sessions, tmp_path
):
    as_phone(phone)
    wait = sign_in(phone, served)
    # The service worker has the app once it controls the page.
    wait.until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    worker = phone.execute_script("return navigator.serviceWorker.controller.scriptURL")
    assert worker == served + "/m/sw.js"  # registered from the same origin
    network(phone, online=False)
    wait.until(lambda d: d.find_element(By.ID, "network").text == "离线")
    for _ in range(3):
        count = len(outbox(phone))
        phone.find_element(By.ID, "checkpoint").click()
        wait.until(lambda d, count=count: len(outbox(d)) == count + 1)
        time.sleep(0.05)  # three distinct times
    waiting = outbox(phone)
    assert len(waiting) == 3 and stored(sessions) == []
    assert "3 条签到等待发送" in phone.find_element(By.ID, "waiting").text

    # Close the page; open it again, still with no network: the app and its outbox are there.
    first = phone.current_window_handle
    phone.switch_to.new_window("tab")
    phone.switch_to.window(first)
    phone.close()
    phone.switch_to.window(phone.window_handles[0])
    as_phone(phone)
    network(phone, online=False)
    phone.get(served + "/m/")
    ready(phone)
    wait.until(lambda d: "3 条签到等待发送" in d.find_element(By.ID, "waiting").text)
    screenshot(phone, tmp_path, "phone-offline.png")
    assert stored(sessions) == []

    network(phone, online=True)
    wait.until(lambda d: d.find_element(By.ID, "waiting").text == "")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#today li[data-checkin]")) == 3)
    rows = stored(sessions)
    kept = [entry["checkin"] for entry in waiting]
    assert sorted(r.msg_id for r in rows) == sorted(c["id"] for c in kept)
    made = {c["id"]: datetime.fromisoformat(c["ts"]) for c in kept}
    for row in rows:
        assert row.ts == made[row.msg_id]  # the time it was made, not the time it arrived
        assert row.received_at > row.ts and row.grid_code == "G11"
    # Sending again (a second tab, a retry) adds nothing.
    phone.execute_async_script("const done = arguments[0]; window.gridhub.send().then(done);")
    assert len(stored(sessions)) == 3


def test_an_alert_arrives_live_and_is_acknowledged_from_the_page(
    served, phone, sessions, hub, tmp_path
):
    as_phone(phone)
    wait = sign_in(phone, served)
    wait.until(lambda d: "暂无" in d.find_element(By.ID, "alerts").text)
    phone.execute_script(
        "window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); return true; };"
    )
    spec = AlertSpec("sensor", "S11", "water_level", "orange", "村口河道水位超警 <i>x</i>",
                     grids=("G11",))  # fmt: skip
    with transaction(sessions) as session:
        alert_id = raise_alert(session, spec, utcnow(), hub.alert_context).id
    item = wait.until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#alerts li[data-alert="{alert_id}"]')
    )[0]
    assert "村口河道水位超警 <i>x</i>" in item.text and not item.find_elements(By.TAG_NAME, "i")
    assert phone.execute_script("return window.buzzed.length") == 1
    item.find_element(By.TAG_NAME, "input").send_keys("十分钟到")
    item.find_element(By.CSS_SELECTOR, 'button[data-answer="acknowledged"]').click()
    wait.until(lambda d: "我已收到" in d.find_element(By.ID, "alerts").text)
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert (alert.status, alert.acked_by, alert.ack_channel) == ("acknowledged", "W11", "phone")
        note = session.scalar(
            select(AlertEvent.note).where(
                AlertEvent.alert_id == alert_id, AlertEvent.kind == "acknowledged"
            )
        )
        assert note == "十分钟到"

    # An area warning addressed to me: answered with its receipt, not the alert's ack
    # (tests/phone/test_warning_page.py follows one through the outbox to the dispatcher).
    warning = AlertSpec("area_warning", "W-1", "flood", "red", "柳湾河洪水红色预警",
                        grids=("G11", "G12"))  # fmt: skip
    with transaction(sessions) as session:
        warning_id = raise_alert(session, warning, utcnow(), hub.alert_context).id
    received = wait.until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#warnings li[data-alert="{warning_id}"]')
    )[0]
    assert phone.execute_script("return window.buzzed.length") == 2
    received.find_element(By.CSS_SELECTOR, 'button[data-receipt="confirmed"]').click()
    wait.until(lambda d: "我的回执: 已确认" in d.find_element(By.ID, "warnings").text
               and not d.find_elements(By.CSS_SELECTOR, "#warnings button"))  # fmt: skip
    with sessions() as session:
        receipt = session.scalars(
            select(Receipt).where(Receipt.alert_id == warning_id, Receipt.member_code == "W11")
        ).one()
        assert (receipt.state, receipt.channels["confirmed"]) == ("confirmed", "phone")
    screenshot(phone, tmp_path, "phone-alerts.png")
    assert chromium.csp_violations(phone) == []
