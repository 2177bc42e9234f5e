"""Notifications through apprise reach a real HTTP endpoint, and a silent one fails in time."""

import socket
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from gridhub.alerts.channels.apprise_channel import AppriseChannel


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung notification gateway."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_a_notification_is_posted_to_the_gateway(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/notify", method="POST").respond_with_data("ok")
    url = f"json://127.0.0.1:{httpserver.port}/notify"
    results = AppriseChannel().send_many([(url, {"title": "水位告警", "body": "G0101 超警戒"})])
    assert results == [None]
    (request, _), *_ = httpserver.log
    assert request.get_json()["title"] == "水位告警"


def test_a_gateway_that_never_answers_fails_within_the_send_timeout(silent_port: int) -> None:
    started = time.monotonic()
    [result] = AppriseChannel(timeout_s=0.5).send_many(
        [(f"json://127.0.0.1:{silent_port}/notify", {"title": "t", "body": "b"})]
    )
    assert result is not None
    assert time.monotonic() - started < 3  # apprise's own read timeout would wait 4 s


def test_a_url_apprise_does_not_know_is_refused_with_its_reason() -> None:
    assert AppriseChannel().send_many([("nonsense://x", {"body": "b"})]) == [
        "not a notification URL apprise understands"
    ]
