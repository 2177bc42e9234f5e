"""Throwaway SpatiaLite files and PostGIS databases, migrated once and copied per test."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from gridhub.db import make_engine, upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDHUB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def postgres_url(database: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)


def create_postgis(name: str) -> str:
    """Create an empty database with PostGIS enabled; return its SQLAlchemy URL."""
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{name}", autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return postgres_url(name)


def postgis_template() -> str:
    """Create a migrated PostGIS template database; return its name."""
    name = f"gridhub_tmpl_{uuid.uuid4().hex[:10]}"
    engine = make_engine(create_postgis(name))
    upgrade(engine)
    engine.dispose()
    return name


@contextmanager
def postgis_copy(template: str) -> Iterator[str]:
    """A fresh database cloned from ``template``; dropped afterwards. Yields its URL."""
    name = f"gridhub_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    try:
        yield postgres_url(name)
    finally:
        drop_postgres(name)


def drop_postgres(name: str) -> None:
    with _admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def spatialite_template(directory: Path) -> Path:
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def spatialite_copy(template: Path, directory: Path) -> str:
    path = directory / f"{uuid.uuid4().hex[:10]}.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
