"""``gridhub db upgrade`` on a PostgreSQL database without PostGIS, and the CLI's help."""

import logging
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from gridhub.cli import app, configure_logging
from gridhub.db import make_engine, upgrade
from tests.support import databases
from tests.support.services import unavailable

runner = CliRunner()


@pytest.fixture
def plain_database() -> Iterator[tuple[str, str]]:
    """A database without PostGIS owned by a role that is no superuser: (its URL as that
    role, its URL as the superuser)."""
    name, role = f"gridhub_plain_{uuid.uuid4().hex[:8]}", f"plain_{uuid.uuid4().hex[:8]}"
    try:
        admin = databases._admin()
    except psycopg.OperationalError:
        unavailable(f"PostgreSQL at {databases.POSTGRES_ADMIN_URL} is not reachable")
    with admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'plain-pass'").format(sql.Identifier(role))
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(role)
            )
        )
    superuser = databases.postgres_url(name)
    host = superuser.rsplit("@", 1)[1]
    try:
        yield f"postgresql+psycopg://{role}:plain-pass@{host}", superuser
    finally:
        databases.drop_postgres(name)
        with databases._admin() as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _upgrade(url: str, tmp_path) -> object:
    env = {"GRIDHUB_DATABASE_URL": url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, ["db", "upgrade"], env=env)


def test_without_postgis_and_no_right_to_add_it_says_what_to_run(plain_database, tmp_path):
    as_owner, _ = plain_database
    result = _upgrade(as_owner, tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.count("\n") == 1, result.output
    assert "CREATE EXTENSION postgis" in result.output


def test_without_postgis_a_superuser_gets_it_created(plain_database, tmp_path):
    _, as_superuser = plain_database
    result = _upgrade(as_superuser, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output == "store up to date (postgresql)\n"  # no Alembic INFO lines


def test_help_shows_no_bool_after_flags():
    result = runner.invoke(app, ["grids", "import", "--help"])
    assert result.exit_code == 0
    assert "--prune" in result.output and "<bool>" not in result.output


def test_the_hub_logs_no_alembic_info_lines(tmp_path, caplog):
    """``gridhub serve`` logs at INFO and migrates at start: without Alembic's context and
    revision lines."""
    configure_logging()
    caplog.set_level(logging.INFO)
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    engine.dispose()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
