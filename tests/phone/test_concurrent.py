"""The same check-in sent at once from several connections (a retry racing the first try, two
tabs): stored once; one answer says 201, every other 200 with that same check-in."""

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from gridhub.api.app import create_app
from gridhub.ingest.models import Checkin
from tests.support.factories import grid_square
from tests.support.services import free_port

G11 = grid_square(0).centroid
SENDERS = 8


@pytest.fixture
def served(hub) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub, manage_services=False), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_checkin_raced_from_several_connections_is_stored_once(served, as_member, sessions):
    headers = as_member("W11")
    body = {"id": uuid.uuid4().hex, "ts": datetime.now(UTC).isoformat(), "lat": G11.y,
            "lon": G11.x}  # fmt: skip
    start = threading.Barrier(SENDERS)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=served, timeout=30) as client:
            start.wait()
            return client.post("/api/v1/checkins", json=body, headers=headers)

    with ThreadPoolExecutor(SENDERS) as pool:
        answers = list(pool.map(send, range(SENDERS)))
    assert sorted(a.status_code for a in answers) == [200] * (SENDERS - 1) + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == 1
