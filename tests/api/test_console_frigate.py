"""The console's alert panel shows Frigate's snapshot of the alert and offers its clip, both
fetched through the hub with the operator's token (real Chromium, a real HTTP server on
Frigate's paths behind Basic auth)."""

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from selenium.webdriver.common.by import By

from gridhub.alerts.models import AlertAlias
from gridhub.alerts.rules.events import ANALYTICS, FRIGATE
from gridhub.db import transaction
from tests.api.chromium import csp_violations
from tests.api.test_console import G0101, click_alert, open_console, raise_in, wait
from tests.cameras.test_frigate_media import CLIP_PATH, EVENT_ID, frigate_url, serve_media


@pytest.fixture
def frigate(httpserver: HTTPServer) -> dict[str, Any]:
    return {"api_url": frigate_url(httpserver.port)}


def test_the_alert_panel_shows_frigates_snapshot_and_saves_its_clip(
    demo_hub, browser, sessions, httpserver
) -> None:
    serve_media(httpserver)
    base, password = demo_hub
    alert_id = raise_in(sessions, "G0101", "门口有人徘徊", **G0101)
    with transaction(sessions) as session:
        session.add(
            AlertAlias(
                source_type=ANALYTICS,
                source_id=f"{FRIGATE}{EVENT_ID}",
                alert_id=alert_id,
                has_snapshot=True,
                has_clip=True,
            )
        )
    open_console(browser, base, "admin", password)
    click_alert(browser, alert_id)
    width = (
        "const i = document.getElementById('frigate-snapshot');"
        " return i && i.complete && i.naturalWidth"
    )
    assert wait(browser, lambda d: d.execute_script(width)) == 64  # Frigate's JPEG
    assert "Frigate" in browser.find_element(By.CSS_SELECTOR, "#frigate-media h3").text
    button = browser.find_element(By.ID, "frigate-clip")
    assert button.text == "下载 Frigate 录像"
    assert not any(r.path == CLIP_PATH for r, _ in httpserver.log)  # only once asked for
    button.click()
    link = wait(browser, lambda d: d.find_elements(By.ID, "frigate-clip-file"))[0]
    assert link.get_attribute("href").startswith("blob:")
    assert link.get_attribute("download") == f"alert-{alert_id}.mp4"
    assert any(r.path == CLIP_PATH for r, _ in httpserver.log)
    assert not csp_violations(browser)


def test_an_alert_without_frigates_media_has_no_frigate_section(
    demo_hub, browser, sessions
) -> None:
    base, password = demo_hub
    alert_id = raise_in(sessions, "G0101", "村委会门口有人摔倒", **G0101)
    open_console(browser, base, "admin", password)
    click_alert(browser, alert_id)
    assert browser.find_elements(By.ID, "alert-events")
    assert not browser.find_elements(By.ID, "frigate-media")
