"""The store migrates on both backends and keeps geometry and times as given."""

from datetime import UTC, datetime

from geoalchemy2.shape import from_shape, to_shape
from shapely import Polygon
from sqlalchemy import inspect, select

from gridhub.db import transaction
from gridhub.geo.models import Region


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"regions", "members", "member_areas", "users", "api_tokens"} <= tables


def test_region_geometry_and_times_round_trip(sessions):
    shape = Polygon([(118.1, 31.1), (118.2, 31.1), (118.2, 31.2), (118.1, 31.1)])
    stamp = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    with transaction(sessions) as session:
        session.add(
            Region(
                code="G1",
                name="一号网格",
                level="grid",
                path="/G1/",
                geom=from_shape(shape, 4326),
                properties={"note": "河边"},
                updated_at=stamp,
            )
        )
    with sessions() as session:
        region = session.scalars(select(Region)).one()
        assert to_shape(region.geom).equals(shape)
        assert region.updated_at == stamp
        assert region.properties == {"note": "河边"}
