"""The phone page in a real headless Chromium, the phone's position fixed through CDP: a
resident files a report over the demo town, gets a tracking code and follows it."""

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
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from gridhub.api.app import create_app
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.demo.loader import load_demo
from gridhub.hub import Hub
from gridhub.reports.models import Report
from tests.support.factories import TEST_PASSWORD, make_user
from tests.support.services import free_port, unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30
PHONE_AT = (29.102681, 115.910052)  # by 柳湾社区's village committee, in grid G0101
pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)


@pytest.fixture
def served(database_url: str, engine, sessions, tmp_path: Path) -> Iterator[str]:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, reports={"challenge_max_number": 5000}
    )
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    load_demo(sessions, hub.locator, hub.secret_box)
    port = free_port()
    app = create_app(hub, manage_services=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        unavailable(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=412,915",
                 f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        unavailable(f"headless Chromium does not start: {exc.msg}")
    yield driver
    driver.quit()


def test_a_resident_files_a_report_from_the_phone_page(served, phone, sessions, tmp_path):
    phone.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": served, "permissions": ["geolocation"]}
    )
    lat, lon = PHONE_AT
    phone.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 10}
    )
    phone.get(served + "/report/")
    wait = WebDriverWait(phone, WAIT_S)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    assert phone.find_element(By.TAG_NAME, "h1").text == "我要说事"
    Select(phone.find_element(By.ID, "service")).select_by_visible_text("环境卫生")
    phone.find_element(By.ID, "locate").click()
    wait.until(lambda d: "29.10268" in d.find_element(By.ID, "place").text)
    # What a resident types is sent as text, and never comes back as markup.
    phone.find_element(By.ID, "description").send_keys("垃圾桶满了三天 <b>没人</b>收")
    phone.find_element(By.ID, "phone").send_keys("13912345678")
    phone.find_element(By.ID, "submit").click()
    wait.until(lambda d: d.find_element(By.ID, "tracking").is_displayed())
    token = phone.find_element(By.ID, "token").text
    assert len(token) == 14

    with sessions() as session:
        report = session.scalar(select(Report))
        assert (report.grid, report.channel, report.phone) == ("G0101", "page", "13912345678")
        assert report.state == "dispatched" and report.routed_to == "role:grid_worker"
        assert set(report.handlers) == {"GW0101A", "GW0101B"}
        assert report.description == "垃圾桶满了三天 <b>没人</b>收"

    phone.find_element(By.CSS_SELECTOR, "#lookup-form button").click()
    state = wait.until(lambda d: d.find_elements(By.ID, "found-state"))
    assert state[0].text == "已派单"
    assert "<b>没人</b>" in phone.find_element(By.ID, "found").text
    assert not phone.find_elements(By.CSS_SELECTOR, "#found b")
    shot = tmp_path / "report-page.png"
    assert phone.save_screenshot(str(shot))
    if os.environ.get("GRIDHUB_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["GRIDHUB_SCREENSHOT_DIR"]) / shot.name)

    phone.get(served + "/report/board")
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    row = phone.find_element(By.CSS_SELECTOR, f'#board tr[data-request="{report.id}"]')
    assert "环境卫生" in row.text and "柳湾社区" in row.text and "已派单" in row.text
    assert "13912345678" not in phone.page_source


def test_an_operator_signs_in_on_the_reports_console(served, phone, sessions):
    with transaction(sessions) as session:
        make_user(session, "town-op", scope="T01")
    phone.get(served + "/console/reports")
    wait = WebDriverWait(phone, WAIT_S)
    form = wait.until(lambda d: d.find_element(By.ID, "sign-in"))
    wait.until(lambda d: form.is_displayed())
    form.find_element(By.NAME, "username").send_keys("town-op")
    form.find_element(By.NAME, "password").send_keys("not the password")
    form.find_element(By.CSS_SELECTOR, "button").click()
    wait.until(lambda d: d.find_element(By.ID, "sign-in-error").text)
    assert "wrong username or password" in phone.find_element(By.ID, "sign-in-error").text
    password = form.find_element(By.NAME, "password")
    password.clear()
    password.send_keys(TEST_PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    assert phone.find_element(By.ID, "queue-section").is_displayed()
    assert phone.find_element(By.ID, "queue").text == "没有待派单的事项。"
