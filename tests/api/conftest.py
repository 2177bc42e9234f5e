"""The API over a hub on each test database, and a signed-in client; the demo town served
over HTTP, and a headless Chromium to look at it."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from selenium import webdriver

from gridhub.api.app import create_app
from gridhub.cameras.service import CamerasService
from gridhub.config import Settings, load_settings
from gridhub.db import transaction
from gridhub.demo.loader import RIVER_FILE, load_demo, reset_admin
from gridhub.hub import Hub
from tests.api import chromium
from tests.support.factories import make_grid_tree, make_member
from tests.support.services import free_port


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def hub(settings, engine, sessions) -> Hub:
    return Hub(settings=settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client


@pytest.fixture
def town(sessions, hub) -> None:
    """The factories' grid tree with a small roster."""
    with transaction(sessions) as session:
        make_grid_tree(session)
        make_member(session, "W11", "grid_worker", ["G11"], phone="13800000011")
        dingtalk = hub.secret_box.seal("dingtalk://sec@tok/138")
        make_member(session, "L1", "grid_leader", ["V1"], notify=[dingtalk])
        make_member(session, "W21", "grid_worker", ["G21"])
        make_member(session, "W31", "grid_worker", ["G31"])
        make_member(session, "OT1", "town_operator", ["T1"], duty="08:00-09:00")
        make_member(session, "P1", "police", ["T1"])


@pytest.fixture
def dashboard() -> dict[str, Any]:
    """The demo hub's dashboard settings (a test class may override this fixture)."""
    return {"overlays": [RIVER_FILE]}


@pytest.fixture
def frigate() -> dict[str, Any]:
    """The demo hub's Frigate settings (a test class may override this fixture)."""
    return {}


@pytest.fixture
def with_cameras() -> bool:
    """Whether the demo hub serves cameras' pictures (a test class may override this)."""
    return False


@pytest.fixture
def demo_hub(
    database_url: str,
    engine,
    sessions,
    tmp_path: Path,
    dashboard: dict[str, Any],
    with_cameras: bool,
    frigate: dict[str, Any],
) -> Iterator[tuple[str, str]]:
    """The hub over the demo town, served by uvicorn on a free port: (base URL, admin password)."""
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        dashboard=dashboard,
        cameras={"frigate": frigate},
    )
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    if with_cameras:  # pictures and live views only: no probe rounds are started
        hub.cameras = CamerasService(settings, sessions)
    load_demo(sessions, hub.locator, hub.secret_box)
    with transaction(sessions) as session:
        password = reset_admin(session)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub, manage_services=False), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + chromium.WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", password
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = chromium.start(tmp_path / "chromium")
    yield driver
    driver.quit()
