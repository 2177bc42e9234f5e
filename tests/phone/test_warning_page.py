"""An area warning on the phone page in a real Chromium at 390×844: it arrives live over the
worker's grid with its headline, instruction, validity and the worker's grids in it; read and
confirmed are answered with no signal, kept in the outbox, sent once when the network returns
(forward only); the receipt in the store and the dispatcher's flood view say confirmed."""

import json
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from sqlalchemy import select

from gridhub.alerts.models import Receipt
from gridhub.db import transaction
from tests.api import chromium
from tests.api.test_dashboard import sign_in as console_sign_in
from tests.phone.test_page import (  # noqa: F401  (fixtures)
    as_phone,
    network,
    phone,
    pytestmark,
    ready,
    screenshot,
    served,
    sign_in,
)
from tests.support.factories import TEST_PASSWORD, auth_header, grid_square, make_user

HEADLINE = "柳湾河洪水<b>橙色</b>预警"
CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>PH-2026-07-01</identifier><sender>water@liuwan.example.cn</sender>
  <sent>2026-07-01T08:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>zh-CN</language><category>Met</category><event>洪水</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-07-02T08:00:00+08:00</expires>
    <headline>{headline}</headline><instruction>立即巡堤，转移低洼处群众</instruction>
    <area><areaDesc>村口</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>"""


def _polygon_inside_g11() -> str:
    x0, y0, x1, y1 = grid_square(0).centroid.buffer(0.001).envelope.bounds
    return " ".join(f"{y},{x}" for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)))


def _receipt_posts(driver) -> list[str]:
    """The receipts the page sent that the hub answered, since the last look (Chromium's own
    network log; tries with no network fail in the browser and reach nobody)."""
    tried: dict[str, str] = {}
    answered: list[str] = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            request = params["request"]
            if request["method"] == "POST" and request["url"].endswith("/receipt"):
                tried[params["requestId"]] = request.get("postData", "")
        elif message["method"] == "Network.responseReceived" and params["requestId"] in tried:
            answered.append(tried[params["requestId"]])
    return answered


def _receipt(sessions, warning_id: int, member: str = "W11") -> Receipt:
    with sessions() as session:
        return session.scalars(
            select(Receipt).where(Receipt.alert_id == warning_id, Receipt.member_code == member)
        ).one()


SHOWN = """
const item = document.querySelector(`#warnings li[data-alert="${arguments[0]}"]`);
if (!item) return null;
const text = (name) => item.querySelector(`.${name}`)?.textContent ?? null;
return {
  headline: text("headline"), instruction: text("instruction"), grids: text("grids"),
  meta: text("meta"), receipt: text("receipt"), state: item.dataset.receiptState,
  buttons: [...item.querySelectorAll("button")].map((b) => b.textContent),
  markup: item.querySelectorAll("b, [data-answer]").length,
};
"""


def _shown(driver, warning_id: int) -> dict | None:
    """The warning's item as the worker sees it, read at one instant (the list is redrawn
    whenever the hub says something changed)."""
    return driver.execute_script(SHOWN, warning_id)


def _tap(driver, warning_id: int, answer: str) -> None:
    selector = f'#warnings li[data-alert="{warning_id}"] button[data-receipt="{answer}"]'
    driver.find_element(By.CSS_SELECTOR, selector).click()


def test_a_warning_over_my_grid_is_confirmed_offline_and_the_dispatcher_sees_it(
    served,  # noqa: F811
    phone,  # noqa: F811
    sessions,
    settings,
    tmp_path: Path,
):
    with transaction(sessions) as session:
        dispatcher = make_user(session, "dispatcher", role="dispatcher")
        admin = make_user(session, "admin", role="admin")
    as_phone(phone)
    wait = sign_in(phone, served)
    wait.until(lambda d: "暂无" in d.find_element(By.ID, "warnings").text)
    phone.execute_script(
        "window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); return true; };"
    )
    xml = CAP.format(headline=HEADLINE.replace("<", "&lt;"), polygon=_polygon_inside_g11())
    posted = httpx.post(
        f"{served}/api/v1/warnings/cap",
        content=xml.encode(),
        headers=auth_header(settings, dispatcher) | {"Content-Type": "application/cap+xml"},
    )
    assert posted.status_code == 201, posted.text
    warning_id = posted.json()["id"]

    # It reaches the open page live, as text, with what the worker needs to act on it.
    shown = wait.until(lambda d: _shown(d, warning_id))
    assert shown["headline"] == HEADLINE and shown["markup"] == 0  # text; no generic ack
    assert shown["instruction"] == "立即巡堤，转移低洼处群众"
    assert shown["grids"] == "我的网格: grid G11"
    assert "有效至" in shown["meta"] and "2099" in shown["meta"]
    assert shown["receipt"] == "我的回执: 已发送"
    assert shown["buttons"] == ["已读", "我已确认"]
    assert phone.execute_script("return window.buzzed.length") == 1
    _receipt_posts(phone)  # what came before does not count

    # No signal: read, then confirmed; both wait in the outbox, as one answer.
    network(phone, online=False)
    wait.until(lambda d: d.find_element(By.ID, "network").text == "离线")
    _tap(phone, warning_id, "read")
    wait.until(lambda d: _shown(d, warning_id)["state"] == "read")
    assert _shown(phone, warning_id)["buttons"] == ["我已确认"]
    _tap(phone, warning_id, "confirmed")
    wait.until(lambda d: _shown(d, warning_id)["state"] == "confirmed")
    shown = _shown(phone, warning_id)
    assert shown["receipt"] == "我的回执: 已确认 · 等待发送" and shown["buttons"] == []
    queued = phone.execute_async_script(
        "const done = arguments[0]; window.gridhub.outbox.waitingReceipts().then(done);"
    )
    assert [(q["warning_id"], q["status"]) for q in queued] == [(warning_id, "confirmed")]
    assert _receipt(sessions, warning_id).state == "sent"  # nothing reached the hub
    screenshot(phone, tmp_path, "phone-warning-offline.png")

    # The network returns: the answer goes once, and the receipt is confirmed from the phone.
    network(phone, online=True)
    wait.until(lambda d: _shown(d, warning_id)["receipt"] == "我的回执: 已确认")
    receipt = _receipt(sessions, warning_id)
    assert receipt.state == "confirmed" and receipt.confirmed_at is not None
    assert receipt.channels["confirmed"] == "phone"
    assert receipt.read_at == receipt.confirmed_at  # confirmed implies read
    phone.execute_async_script("const done = arguments[0]; window.gridhub.send().then(done);")
    assert [json.loads(body)["status"] for body in _receipt_posts(phone)] == ["confirmed"]
    assert chromium.csp_violations(phone) == []

    # The dispatcher's flood view, in another tab, shows the worker as confirmed.
    phone.switch_to.new_window("tab")
    phone.get(f"{served}/console/flood?id={warning_id}")
    console_sign_in(phone, admin.username, TEST_PASSWORD)
    ready(phone)
    holders = sorted(r.member_code for r in _all_receipts(sessions, warning_id))
    assert holders == ["L1", "W11"]  # G11's worker, and V1's leader
    wait.until(lambda d: d.find_element(By.ID, "progress-text").text == "1 / 2 已确认")
    row = phone.find_element(By.CSS_SELECTOR, "#roll tr[data-member=W11]")
    assert "已确认" in row.text
    assert phone.find_elements(By.CSS_SELECTOR, "path.member-W11.confirmed")
    assert "W11" not in phone.find_element(By.ID, "silent").text


def _all_receipts(sessions, warning_id: int) -> list[Receipt]:
    with sessions() as session:
        return list(session.scalars(select(Receipt).where(Receipt.alert_id == warning_id)))
