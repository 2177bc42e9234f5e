"""Alembic environment: the engine is handed in by gridhub.db (or built from the settings)."""

from alembic import context
from alembic.runtime.environment import NameFilterType
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine
from sqlalchemy.schema import SchemaItem

import gridhub.models  # noqa: F401  (registers every area's tables)
from gridhub.db import Base, make_engine

config = context.config

# Tables SpatiaLite creates for itself; they are not ours to migrate.
SPATIALITE_TABLES = frozenset(
    {"ElementaryGeometries", "KNN", "KNN2", "SpatialIndex", "data_licenses", "sql_statements_log"}
)


def include_object(
    obj: SchemaItem,
    name: str | None,
    type_: NameFilterType,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    if type_ == "table" and reflected and name in SPATIALITE_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is None:  # the alembic command itself: the store and key of the settings
        from gridhub.config import load_settings
        from gridhub.secrets import SecretBox

        settings = load_settings()
        engine = make_engine(settings.database_url)
        config.attributes["secret_box"] = SecretBox.for_settings(settings)
    return engine


def run_migrations() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
