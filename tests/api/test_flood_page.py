"""The dispatcher's flood view in a real Chromium over the demo town: a CAP warning over part
of it is drawn with its grids and members; receipts move live; words are text; English too."""

import os
from pathlib import Path

import httpx
import pytest
from geoalchemy2.shape import to_shape
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gridhub.alerts import receipts
from gridhub.alerts.models import Receipt
from gridhub.db import transaction, utcnow
from gridhub.geo.models import Region
from tests.api.chromium import WAIT_S, csp_violations, requests_made
from tests.api.test_dashboard import sign_in

LOCAL = ("data:", "blob:", "about:", "chrome")
pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)

HEADLINE = '柳湾河洪水<b>橙色</b>预警<img src=x onerror="document.title=1">'
CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>LW-2026-07-01</identifier><sender>water@liuwan.example.cn</sender>
  <sent>2026-07-01T08:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>zh-CN</language><category>Met</category><event>洪水</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-07-02T08:00:00+08:00</expires>
    <headline>{headline}</headline><instruction>立即巡堤</instruction>
    <area><areaDesc>柳湾社区</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>"""


def _inside(sessions, code: str) -> str:
    """A CAP polygon (``lat,lon`` pairs) well inside grid ``code``."""
    with sessions() as session:
        grid = to_shape(session.scalar(select(Region.geom).where(Region.code == code)))
    box = grid.centroid.buffer(0.0008).envelope
    x0, y0, x1, y1 = box.bounds
    return " ".join(f"{y},{x}" for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)))


def _progress(browser) -> str:
    return browser.find_element(By.ID, "progress-text").text


def test_the_flood_view_draws_the_area_and_shows_receipts_live(
    demo_hub, browser, sessions, tmp_path: Path
) -> None:
    base, password = demo_hub
    form = {"username": "admin", "password": password}
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    xml = CAP.format(headline=HEADLINE.replace("<", "&lt;"), polygon=_inside(sessions, "G0101"))
    posted = httpx.post(f"{base}/api/v1/warnings/cap", content=xml.encode(),
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/cap+xml"})  # fmt: skip
    assert posted.status_code == 201, posted.text
    warning_id = posted.json()["id"]
    with sessions() as session:
        members = sorted(
            session.scalars(select(Receipt.member_code).where(Receipt.alert_id == warning_id))
        )
    assert members  # the grid's workers and leader

    browser.get(base + "/")  # the dashboard links to the view
    sign_in(browser, "admin", password)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script("return document.body.dataset.ready") == "true"
    )
    browser.find_element(By.ID, "flood-link").click()
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script("return document.body.dataset.ready") == "true"
    )
    total = len(members)
    assert _progress(browser) == f"0 / {total} 已确认"
    assert browser.find_element(By.ID, "headline").text == HEADLINE  # as text, not markup
    assert browser.title != "1"
    assert browser.find_elements(By.CSS_SELECTOR, "path.area")
    assert browser.find_elements(By.CSS_SELECTOR, "path.grid-G0101")
    pending = browser.find_elements(By.CSS_SELECTOR, "path.member.pending")
    assert len(pending) == total
    assert len(browser.find_elements(By.CSS_SELECTOR, "#roll tbody tr")) == total

    # The first member's device confirms, the second only received it: the view follows.
    with transaction(sessions) as session:
        receipts.answer(session, members[0], warning_id, "confirmed", utcnow(), "mqtt")
        if total > 1:
            receipts.answer(session, members[1], warning_id, "received", utcnow(), "mqtt")
    WebDriverWait(browser, WAIT_S).until(lambda d: _progress(d) == f"1 / {total} 已确认")
    assert browser.find_elements(By.CSS_SELECTOR, f"path.member-{members[0]}.confirmed")
    row = browser.find_element(By.CSS_SELECTOR, f"#roll tr[data-member={members[0]}]")
    assert "已确认" in row.text
    silent = browser.find_element(By.ID, "silent").text
    assert members[0] not in silent
    assert all(code in silent for code in members[1:]), (silent, members)
    chart = browser.execute_script(
        "return Chart.getChart('receipts-chart').data.datasets.map(d => d.data.length)"
    )
    assert chart == [2 + (total > 1), 2]  # the start, then one point per receipt
    assert not csp_violations(browser)
    elsewhere = [r.url for r in requests_made(browser) if not r.url.startswith(LOCAL)]
    assert not [url for url in elsewhere if not url.startswith(base)], elsewhere
    if os.environ.get("GRIDHUB_SCREENSHOT_DIR"):
        browser.save_screenshot(str(Path(os.environ["GRIDHUB_SCREENSHOT_DIR"]) / "flood.png"))

    browser.find_element(By.ID, "language").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: _progress(d) == f"1 / {total} confirmed")
