"""Fixtures of the cameras tests: a grid tree with its spatial index, a real RTSP server."""

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.probe import probe_pool
from gridhub.cameras.registry import GridOf
from gridhub.config.cameras import CamerasConfig
from gridhub.geo.index import GridIndex
from gridhub.geo.models import Region
from gridhub.secrets import SecretBox
from tests.support.factories import make_grid_tree, make_member
from tests.support.rtsp import RtspServer
from tests.support.services import free_port, unavailable

BOX = SecretBox([Fernet.generate_key()])
"""Seals the test cameras' URLs."""

# Short timeouts keep the tests fast; three equal results switch a state, as in production.
FAST = CamerasConfig(
    probe_concurrency=4,
    open_timeout_ms=3000,
    read_timeout_ms=1500,
    probe_deadline_s=8,
    hysteresis=3,
    snapshot_cache_s=2,
)


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> dict[str, Region]:
    """The factories' tree (G11, G12 in V1; G21 in V2; G31 in T2/V3) with members."""
    with sessions() as session, session.begin():
        regions = make_grid_tree(session)
        make_member(session, "W11", "grid_worker", ["G11"])
        make_member(session, "W12", "grid_worker", ["G12"])
        make_member(session, "M1", "grid_worker", ["G21"], name="camera maintainer")
    return regions


@pytest.fixture
def grid_of(sessions: sessionmaker[Session], town: dict[str, Region]) -> GridOf:
    with sessions() as session:
        grids = session.scalars(select(Region).where(Region.level == "grid")).all()
        index = GridIndex([g.code for g in grids], [to_shape(g.geom) for g in grids])
    return index.locate


@pytest.fixture(scope="session")
def rtsp_server() -> Iterator[RtspServer]:
    missing = RtspServer.available()
    if missing:
        unavailable(missing)
    with RtspServer(free_port()) as server:
        yield server


@pytest.fixture(scope="session")
def pool() -> Iterator[object]:
    executor = probe_pool(FAST)
    yield executor
    executor.shutdown(cancel_futures=True)
