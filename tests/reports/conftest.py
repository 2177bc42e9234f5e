"""A hub over the factories' town with a roster for every report route, its API, and an
Open311 client's helpers (challenge answered as a phone would)."""

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from altcha import ChallengeV1, solve_challenge_v1
from fastapi.testclient import TestClient

from gridhub.api.app import create_app
from gridhub.config import Settings, load_settings
from gridhub.db import transaction
from gridhub.hub import Hub
from tests.alerts.conftest import mosquitto  # noqa: F401  (the real broker, per session)
from tests.support.factories import grid_square, make_grid_tree, make_member

G11 = grid_square(0).centroid
G21 = grid_square(2).centroid
OUTSIDE = (100.0, 20.0)
UNITS = {"land_office": {"name": {"zh-CN": "镇国土所", "en": "Land office"}, "members": ["LO1"]}}


def report_settings(database_url: str, data_dir: Path, **reports: Any) -> Settings:
    # A small challenge keeps the tests quick; the limits are the defaults unless given.
    return load_settings(
        database_url=database_url,
        data_dir=data_dir,
        reports={"units": UNITS, "challenge_max_number": 2000, **reports},
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return report_settings(database_url, tmp_path)


@pytest.fixture
def hub(settings, engine, sessions) -> Hub:
    with transaction(sessions) as session:
        make_grid_tree(session)
        make_member(session, "W11", "grid_worker", ["G11"])
        make_member(session, "L1", "grid_leader", ["V1"])
        make_member(session, "VC1", "village_cadre", ["V1"])
        make_member(session, "W21", "grid_worker", ["G21"])
        make_member(session, "P1", "police", ["G11", "G12"])
        make_member(session, "LO1", "town_operator", ["T1"], name="国土所 王")
        make_member(session, "OT1", "town_operator", ["T1"])
    return Hub(settings=settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client


def solved(client: TestClient) -> str:
    """Answer the hub's challenge as the phone page does (ALTCHA v1)."""
    made = client.get("/open311/v2/challenge.json").json()
    challenge = ChallengeV1(
        made["algorithm"], made["challenge"], made["maxnumber"], made["salt"], made["signature"]
    )
    solution = solve_challenge_v1(challenge.challenge, challenge.salt, challenge.algorithm,
                                  challenge.max_number, 0)  # fmt: skip
    assert solution is not None
    payload = {
        "algorithm": made["algorithm"],
        "challenge": made["challenge"],
        "number": solution.number,
        "salt": made["salt"],
        "signature": made["signature"],
    }
    return base64.b64encode(orjson.dumps(payload)).decode()


def form(service: str = "sanitation", point: Any = G11, **extra: Any) -> dict[str, Any]:
    lon, lat = (point.x, point.y) if hasattr(point, "x") else point
    return {
        "service_code": service,
        "lat": lat,
        "long": lon,
        "description": "垃圾堆在路口",
        **extra,
    }
