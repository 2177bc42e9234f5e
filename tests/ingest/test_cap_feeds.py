"""CAP feeds against a real HTTP server (pytest-httpserver): an Atom feed's new messages are
taken once, a feed not modified is asked with its validators and costs nothing, a refused
message is logged and not taken, a failing feed backs off, doubling."""

from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.alerts.models import Alert
from gridhub.alerts.sink import AlertsSink
from gridhub.config.warnings import WarningsConfig
from gridhub.geo.locator import GridLocator
from gridhub.ingest.cap_feeds import CapFeedService
from tests.alerts.conftest import Town

DATA = Path(__file__).parent / "data" / "cap"
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>湖滨县水文预警</title><id>urn:feed</id>
<updated>2026-06-01T10:00:00+08:00</updated>
{entries}</feed>"""
ENTRY = """<entry><id>{name}</id><title>{name}</title><updated>2026-06-01T10:00:00+08:00</updated>
<link rel="alternate" type="application/cap+xml" href="/cap/{name}"/></entry>"""


def _feed(*names: str) -> str:
    return ATOM.format(entries="".join(ENTRY.format(name=n) for n in names))


def _service(httpserver: HTTPServer, sessions: sessionmaker[Session], now: list[float]):
    config = WarningsConfig(feeds=(httpserver.url_for("/feed.atom"),), poll_every_s=60)
    sink = AlertsSink(AlertContext())
    return CapFeedService(config, sessions, GridLocator(sessions), [sink], clock=lambda: now[0])


def _alerts(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


def test_new_messages_are_taken_once_and_an_unchanged_feed_costs_nothing(
    httpserver: HTTPServer, sessions: sessionmaker[Session], town: Town
) -> None:
    httpserver.expect_request("/feed.atom", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    httpserver.expect_request("/feed.atom").respond_with_data(
        _feed("polygon.xml", "circle.xml"), headers={"ETag": '"v1"'},
        content_type="application/atom+xml",
    )  # fmt: skip
    for name in ("polygon.xml", "circle.xml"):
        httpserver.expect_request(f"/cap/{name}").respond_with_data((DATA / name).read_bytes())
    now = [0.0]
    service = _service(httpserver, sessions, now)
    with httpx.Client() as client:
        assert service.run_once(client) == 2
        assert _alerts(sessions) == 2
        assert service.run_once(client) == 0  # not due yet: nothing asked
        now[0] = 61.0
        assert service.run_once(client) == 0  # due: asked with If-None-Match, 304
    feed_asks = [r for r, _ in httpserver.log if r.path == "/feed.atom"]
    assert [r.headers.get("If-None-Match") for r in feed_asks] == [None, '"v1"']
    assert _alerts(sessions) == 2
    assert service.health()["ok"]


def test_a_refused_message_is_not_taken_and_the_others_are(
    httpserver: HTTPServer,
    sessions: sessionmaker[Session],
    town: Town,
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpserver.expect_request("/feed.atom").respond_with_data(
        _feed("bad_polygon.xml", "circle.xml")
    )
    for name in ("bad_polygon.xml", "circle.xml"):
        httpserver.expect_request(f"/cap/{name}").respond_with_data((DATA / name).read_bytes())
    service = _service(httpserver, sessions, [0.0])
    with httpx.Client() as client:
        assert service.run_once(client) == 1
    assert _alerts(sessions) == 1
    assert "polygon needs at least 4 points" in caplog.text


def test_a_failing_feed_backs_off_doubling(
    httpserver: HTTPServer, sessions: sessionmaker[Session], town: Town
) -> None:
    httpserver.expect_request("/feed.atom").respond_with_data("down", status=503)
    now = [0.0]
    service = _service(httpserver, sessions, now)
    with httpx.Client() as client:
        service.run_once(client)
        assert service.feeds[0].next_at == 120.0
        now[0] = 120.0
        service.run_once(client)
        assert service.feeds[0].next_at == 120.0 + 240.0
    assert not service.health()["ok"]
    assert service.health()["failing"] == [httpserver.url_for("/feed.atom")]
