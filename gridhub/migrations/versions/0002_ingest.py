"""ingest

Revision ID: 0002_ingest
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import gridhub.db

revision: str = "0002_ingest"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("ingest",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "area_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("area", sa.JSON(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("valid_until", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_warnings")),
        sa.UniqueConstraint("issuer", "msg_id", name=op.f("uq_area_warnings_issuer")),
    )
    with op.batch_alter_table("area_warnings", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_area_warnings_geom",
            ["geom"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(batch_op.f("ix_area_warnings_ts"), ["ts"], unique=False)

    op.create_table(
        "checkins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("worker_code", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("crs", sa.String(length=8), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("in_assigned_grid", sa.Boolean(), nullable=False),
        sa.Column("checkpoint_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("worker_code", "msg_id", name=op.f("uq_checkins_worker_code")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_grid_ts", ["grid_code", "ts"], unique=False)
        batch_op.create_index("ix_checkins_worker_ts", ["worker_code", "ts"], unique=False)

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=512), nullable=False),
        sa.Column("sender", sa.String(length=128), nullable=True),
        sa.Column("msg_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("payload_excerpt", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dead_letters_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "drone_positions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("drone_code", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("alt_m", sa.Float(), nullable=True),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drone_positions")),
        sa.UniqueConstraint("drone_code", "msg_id", name=op.f("uq_drone_positions_drone_code")),
    )
    with op.batch_alter_table("drone_positions", schema=None) as batch_op:
        batch_op.create_index("ix_drone_positions_drone_ts", ["drone_code", "ts"], unique=False)

    op.create_table(
        "drones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("alt_m", sa.Float(), nullable=True),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("last_ts", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drones")),
        sa.UniqueConstraint("code", name=op.f("uq_drones_code")),
        sa.UniqueConstraint("serial_number", name=op.f("uq_drones_serial_number")),
    )
    op.create_table(
        "sensor_readings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sensor_code", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_readings")),
        sa.UniqueConstraint("sensor_code", "msg_id", name=op.f("uq_sensor_readings_sensor_code")),
    )
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_readings_sensor_ts", ["sensor_code", "ts"], unique=False)

    op.create_table(
        "sensor_warnings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sensor_code", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=140), nullable=False),
        sa.Column("ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("from_threshold", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_warnings")),
        sa.UniqueConstraint("sensor_code", "msg_id", name=op.f("uq_sensor_warnings_sensor_code")),
    )
    with op.batch_alter_table("sensor_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sensor_warnings_sensor_code"), ["sensor_code"], unique=False
        )

    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("blue", sa.Float(), nullable=True),
        sa.Column("yellow", sa.Float(), nullable=True),
        sa.Column("orange", sa.Float(), nullable=True),
        sa.Column("red", sa.Float(), nullable=True),
        sa.Column("hysteresis", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_ts", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
        sa.UniqueConstraint("code", name=op.f("uq_sensors_code")),
    )
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensors_grid_code"), ["grid_code"], unique=False)

    op.create_table(
        "worker_status",
        sa.Column("worker_code", sa.String(length=64), nullable=False),
        sa.Column(
            "last_checkin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("last_ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("in_assigned_grid", sa.Boolean(), nullable=False),
        sa.Column("last_kind", sa.String(length=16), nullable=False),
        sa.Column("on_patrol", sa.Boolean(), nullable=False),
        sa.Column("patrol_changed_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_code", name=op.f("pk_worker_status")),
    )


def downgrade() -> None:
    op.drop_table("worker_status")
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensors_grid_code"))

    op.drop_table("sensors")
    with op.batch_alter_table("sensor_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_warnings_sensor_code"))

    op.drop_table("sensor_warnings")
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_sensor_readings_sensor_ts")

    op.drop_table("sensor_readings")
    op.drop_table("drones")
    with op.batch_alter_table("drone_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_drone_positions_drone_ts")

    op.drop_table("drone_positions")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letters_received_at"))

    op.drop_table("dead_letters")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_worker_ts")
        batch_op.drop_index("ix_checkins_grid_ts")

    op.drop_table("checkins")
    with op.batch_alter_table("area_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_warnings_ts"))
        batch_op.drop_geospatial_index(
            "idx_area_warnings_geom", postgresql_using="gist", column_name="geom"
        )

    op.drop_geospatial_table("area_warnings")
