"""Frigate's snapshot and clip of an alert, through the hub: Frigate's documented MQTT examples
replayed, and a real HTTP server standing in for Frigate's API on its paths
(``/api/events/{event_id}/snapshot.jpg`` and ``clip.mp4``), behind Basic auth."""

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from gridhub.alerts.actions import act
from gridhub.alerts.models import Alert
from gridhub.api.app import create_app
from gridhub.config import Settings, load_settings
from gridhub.db import transaction
from gridhub.hub import Hub
from tests.cameras.test_frigate_incidents import EVENT_ID, NOW, camera, event, feed, review
from tests.support.factories import auth_header, make_user
from tests.support.services import free_port

__all__ = ["camera"]  # the fixture, shared with the incidents' tests

JPEG = cv2.imencode(".jpg", np.full((48, 64, 3), (30, 90, 200), np.uint8))[1].tobytes()
MP4 = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + (3 * 1024 * 1024 + 8).to_bytes(4, "big")
    + b"mdat"
    + bytes(range(256)) * (3 * 4096)
)
"""An MP4's first boxes and 3 MiB of data: more than one chunk on the way through."""
USER, PASSWORD = "hub", "s3cret-of-frigate"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SNAPSHOT_PATH = f"/api/events/{EVENT_ID}/snapshot.jpg"
CLIP_PATH = f"/api/events/{EVENT_ID}/clip.mp4"


def serve_media(frigate: HTTPServer) -> None:
    """Frigate's media of the docs' tracked object, only to the hub's credentials."""
    auth = {"Authorization": BASIC}
    frigate.expect_request(SNAPSHOT_PATH, headers=auth).respond_with_data(
        JPEG, content_type="image/jpeg"
    )
    frigate.expect_request(CLIP_PATH, headers=auth).respond_with_data(MP4, content_type="video/mp4")


def frigate_url(port: int) -> str:
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/"


@pytest.fixture
def api_url(httpserver: HTTPServer) -> str:
    return frigate_url(httpserver.port)


@pytest.fixture
def settings(database_url, tmp_path: Path, api_url: str | None) -> Settings:
    # Room for a loaded machine to answer in time; the silent Frigate of a test outwaits it.
    frigate = {"enabled": True, "api_url": api_url, "api_timeout_s": 2.0}
    return load_settings(database_url=database_url, data_dir=tmp_path, cameras={"frigate": frigate})


@pytest.fixture
def outsider(settings, sessions, camera) -> dict[str, str]:
    """An operator of V2: the camera stands in G11, in V1."""
    with transaction(sessions) as session:
        return auth_header(settings, make_user(session, "op-v2", "operator", scope="V2"))


@pytest.fixture
def api(settings, engine, sessions, camera) -> Iterator[TestClient]:
    """The API as an operator of V1."""
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    with transaction(sessions) as session:
        headers = auth_header(settings, make_user(session, "op-v1", "operator", scope="V1"))
    with TestClient(create_app(hub, manage_services=False), headers=headers) as client:
        yield client


def the_alert(sessions) -> int:
    with sessions() as session:
        (alert_id,) = session.scalars(select(Alert.id))
    return alert_id


def links(api: TestClient, alert_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/alerts/{alert_id}")
    assert response.status_code == 200
    return response.json()["links"]


def with_media(kind: str, snapshot: bool, clip: bool) -> tuple[str, dict[str, Any]]:
    return ("events", event(kind, has_snapshot=snapshot, has_clip=clip))


def test_links_appear_as_frigate_comes_to_keep_a_snapshot_then_a_clip(api, sessions, httpserver):
    serve_media(httpserver)
    feed(sessions, with_media("new", False, False))
    alert_id = the_alert(sessions)
    assert links(api, alert_id) == {"snapshot": None, "clip": None}
    assert api.get(f"/api/v1/alerts/{alert_id}/frigate/snapshot.jpg").status_code == 404
    feed(sessions, with_media("update", True, False))
    base = f"/api/v1/alerts/{alert_id}/frigate"
    assert links(api, alert_id) == {"snapshot": f"{base}/snapshot.jpg", "clip": None}
    clip = api.get(f"{base}/clip.mp4")
    assert clip.status_code == 404
    assert clip.json() == {"detail": f"alert {alert_id} has no Frigate clip"}
    feed(sessions, with_media("update", True, True))  # the recording kept: a later update
    assert links(api, alert_id) == {"snapshot": f"{base}/snapshot.jpg", "clip": f"{base}/clip.mp4"}


def test_the_snapshot_and_the_clip_come_through_and_frigates_login_stays_behind(
    api, sessions, httpserver
):
    serve_media(httpserver)
    feed(sessions, with_media("new", True, True))
    detail = api.get(f"/api/v1/alerts/{the_alert(sessions)}")
    snapshot = api.get(detail.json()["links"]["snapshot"])
    assert snapshot.status_code == 200
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content == JPEG
    assert cv2.imdecode(np.frombuffer(snapshot.content, np.uint8), cv2.IMREAD_COLOR).shape == (
        48,
        64,
        3,
    )
    clip = api.get(detail.json()["links"]["clip"])
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
    assert clip.headers["content-length"] == str(len(MP4)) and clip.content == MP4
    for answer in (detail, snapshot, clip):
        seen = answer.text if answer is detail else str(answer.headers)
        assert PASSWORD not in seen and str(httpserver.port) not in seen
    assert {entry[0].path for entry in httpserver.log} == {SNAPSHOT_PATH, CLIP_PATH}


def test_a_review_and_its_tracked_object_share_the_objects_media(api, sessions, httpserver):
    serve_media(httpserver)
    feed(sessions, ("reviews", review()))  # a review alone has no media of its own
    alert_id = the_alert(sessions)
    assert links(api, alert_id) == {"snapshot": None, "clip": None}
    feed(sessions, with_media("update", True, True))
    assert the_alert(sessions) == alert_id  # one incident
    assert api.get(f"/api/v1/alerts/{alert_id}/frigate/clip.mp4").content == MP4
    feed(sessions, ("reviews", review()))  # a later review changes nothing of it
    assert links(api, alert_id)["clip"] is not None


def test_a_clip_kept_after_the_alert_was_resolved_is_linked(api, sessions, httpserver):
    serve_media(httpserver)
    feed(sessions, with_media("new", True, False))
    alert_id = the_alert(sessions)
    with transaction(sessions) as session:
        act(session, alert_id, "resolve", "operator", NOW)
    feed(sessions, with_media("end", True, True))
    assert links(api, alert_id)["clip"] is not None
    assert api.get(f"/api/v1/alerts/{alert_id}/frigate/clip.mp4").content == MP4


def test_outside_the_scope_the_media_answer_as_the_alert_does(api, sessions, httpserver, outsider):
    serve_media(httpserver)
    feed(sessions, with_media("new", True, True))
    alert_id = the_alert(sessions)
    other = outsider
    detail = api.get(f"/api/v1/alerts/{alert_id}", headers=other)
    assert detail.status_code == 404
    for file in ("snapshot.jpg", "clip.mp4"):
        media = api.get(f"/api/v1/alerts/{alert_id}/frigate/{file}", headers=other)
        assert (media.status_code, media.json()) == (404, detail.json())
    assert httpserver.log == []  # Frigate was not even asked
    unknown = api.get("/api/v1/alerts/999999/frigate/snapshot.jpg")
    assert unknown.json() == {"detail": "no alert 999999 in your scope"}


def test_frigate_failing_answers_502_and_silent_504(api, sessions, httpserver):
    feed(sessions, with_media("new", True, True))
    url = f"/api/v1/alerts/{the_alert(sessions)}/frigate"
    httpserver.expect_request(SNAPSHOT_PATH).respond_with_data("boom", status=500)

    def slow(_request: Request) -> Response:
        time.sleep(3.0)  # api_timeout_s is 2
        return Response(MP4, content_type="video/mp4")

    httpserver.expect_request(CLIP_PATH).respond_with_handler(slow)
    failed = api.get(f"{url}/snapshot.jpg")
    assert failed.status_code == 502
    assert failed.json() == {
        "detail": f"Frigate answered 500 for the snapshot of Frigate event {EVENT_ID}"
    }
    silent = api.get(f"{url}/clip.mp4")
    assert (silent.status_code, silent.json()) == (
        504,
        {"detail": "Frigate did not answer within 2 s"},
    )


def test_frigate_forgetting_its_media_answers_404(api, sessions, httpserver):
    feed(sessions, with_media("new", True, True))
    httpserver.expect_request(SNAPSHOT_PATH).respond_with_data("", status=404)
    gone = api.get(f"/api/v1/alerts/{the_alert(sessions)}/frigate/snapshot.jpg")
    assert (gone.status_code, gone.json()) == (
        404,
        {"detail": f"Frigate no longer keeps the snapshot of Frigate event {EVENT_ID}"},
    )


class TestFrigateDown:
    @pytest.fixture
    def api_url(self) -> str:
        return frigate_url(free_port())  # nothing listens there

    def test_frigate_down_answers_502_without_its_address(self, api, sessions):
        feed(sessions, with_media("new", True, True))
        down = api.get(f"/api/v1/alerts/{the_alert(sessions)}/frigate/snapshot.jpg")
        assert (down.status_code, down.json()) == (
            502,
            {"detail": "Frigate could not be reached (ConnectError)"},
        )


class TestWithoutFrigatesApi:
    @pytest.fixture
    def api_url(self) -> None:
        return None

    def test_no_api_url_means_no_links_and_no_media(self, api, sessions):
        feed(sessions, with_media("new", True, True))
        alert_id = the_alert(sessions)
        assert links(api, alert_id) == {"snapshot": None, "clip": None}
        media = api.get(f"/api/v1/alerts/{alert_id}/frigate/snapshot.jpg")
        assert media.json() == {
            "detail": f"alert {alert_id} has no Frigate snapshot (cameras.frigate.api_url unset)"
        }
