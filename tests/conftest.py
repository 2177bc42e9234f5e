"""Shared fixtures: every store test runs on SpatiaLite and on PostGIS."""

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gridhub.db import make_engine, make_session_factory
from gridhub.secrets import SecretBox
from tests.support import databases
from tests.support.services import unavailable

BACKENDS = ("spatialite", "postgis")


@pytest.fixture(scope="session")
def spatialite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.spatialite_template(tmp_path_factory.mktemp("spatialite"))


@pytest.fixture(scope="session")
def postgis_template() -> Iterator[str | None]:
    try:
        name = databases.postgis_template()
    except psycopg.OperationalError:
        yield None  # each PostGIS test then skips, or fails under GRIDHUB_REQUIRE_SERVICES=1
        return
    yield name
    databases.drop_postgres(name)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    spatialite_template: Path,
    postgis_template: str | None,
    tmp_path: Path,
) -> Iterator[str]:
    """The URL of an empty, migrated database of each backend."""
    if request.param == "spatialite":
        yield databases.spatialite_copy(spatialite_template, tmp_path)
        return
    if postgis_template is None:
        unavailable(f"PostGIS at {databases.POSTGRES_ADMIN_URL} is not reachable")
    with databases.postgis_copy(postgis_template) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def box() -> SecretBox:
    """A secret box with a key of its own (a hub's box: ``SecretBox.for_settings``)."""
    return SecretBox([Fernet.generate_key()])
