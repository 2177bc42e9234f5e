"""The API over a hub on each test database, and a signed-in client."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gridhub.api.app import create_app
from gridhub.config import Settings, load_settings
from gridhub.db import transaction
from gridhub.hub import Hub
from tests.support.factories import make_grid_tree, make_member


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
def town(sessions) -> None:
    """The factories' grid tree with a small roster."""
    with transaction(sessions) as session:
        make_grid_tree(session)
        make_member(session, "W11", "grid_worker", ["G11"], phone="13800000011")
        make_member(session, "L1", "grid_leader", ["V1"], notify=["dingtalk://sec@tok/138"])
        make_member(session, "W21", "grid_worker", ["G21"])
        make_member(session, "W31", "grid_worker", ["G31"])
        make_member(session, "OT1", "town_operator", ["T1"], duty="08:00-09:00")
        make_member(session, "P1", "police", ["T1"])
