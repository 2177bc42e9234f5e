"""The store: engine, sessions, declarative base and migrations (SpatiaLite or PostGIS)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from geoalchemy2 import load_spatialite
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from gridhub.config import Settings
from gridhub.secrets import PRIVATE_FILE, SecretBox, private_dir

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every area's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; gridhub stores aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether the engine, or a session's ``get_bind()``, is SpatiaLite."""
    return bind.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine for a SpatiaLite file (``sqlite:///PATH``) or PostGIS (``postgresql…``)."""
    # JSON columns (alert payloads, contacts) are read and written by the thousand in a flood
    # fan-out; orjson does it several times faster than the standard library.
    kwargs = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads, **kwargs}
    if url.startswith("sqlite"):
        return _spatialite_engine(url, **kwargs)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _json_dumps(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _spatialite_engine(url: str, **kwargs: object) -> Engine:
    # The interpreter's own sqlite3 may lack enable_load_extension; pysqlite3 has it.
    import pysqlite3.dbapi2 as sqlite_module

    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The file holds sealed secrets and the roster: only the hub's user may read it.
        # SQLite gives its -wal and -shm files the database file's mode.
        Path(path).touch(mode=PRIVATE_FILE)
        Path(path).chmod(PRIVATE_FILE)
    engine = create_engine(
        url,
        module=sqlite_module,
        connect_args={"timeout": 30, "check_same_thread": False},
        **kwargs,
    )
    event.listen(engine, "connect", partial(load_spatialite, init_mode="WGS84"))
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    with sessions() as session, session.begin():
        yield session


SECRET_BOX = "secret_box"
"""Alembic attribute: the box a migration seals clear-text secrets with."""


def alembic_config(engine: Engine, box: SecretBox | None = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    config.attributes[SECRET_BOX] = box
    return config


def open_store(settings: Settings, migrate: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    """The engine and a session factory of the configured store, migrated unless asked not to."""
    private_dir(settings.data_dir)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine, SecretBox.for_settings(settings))
    return engine, make_session_factory(engine)


class StoreSetupError(RuntimeError):
    """The store cannot be made ready, with the one thing to do about it."""


def ensure_postgis(engine: Engine) -> None:
    """Create the PostGIS extension of a PostgreSQL store that lacks it, when the role may;
    else StoreSetupError naming the command a superuser runs."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")):
            return
        try:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            connection.commit()
        except DBAPIError as exc:
            name = engine.url.database
            raise StoreSetupError(
                f"database {name!r} has no PostGIS and this role may not add it "
                f"({str(exc.orig).strip().splitlines()[0]}); as a superuser run: "
                f"psql -d {name} -c 'CREATE EXTENSION postgis'"
            ) from None


def upgrade(engine: Engine, box: SecretBox | None = None) -> None:
    """Bring the schema to the newest revision of every area; ``box`` seals what an older
    version stored in clear (needed only when there is such a row)."""
    ensure_postgis(engine)
    command.upgrade(alembic_config(engine, box), "heads")
