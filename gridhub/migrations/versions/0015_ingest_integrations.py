"""ingest: what users' own devices send besides the contract (OwnTracks' battery, DJI's
ellipsoid height and flight state, DJI docks' state); dead letters counted per sender

Revision ID: 0015_ingest_integrations
Revises: 0002_ingest
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0015_ingest_integrations"
down_revision: str | Sequence[str] | None = "0002_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("battery_pct", sa.Float(), nullable=True))
    for table in ("drones", "drone_positions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("alt_wgs84_m", sa.Float(), nullable=True))
            batch.add_column(sa.Column("mode_code", sa.Integer(), nullable=True))
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(
            sa.Column("repeats", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("last_at", gridhub.db.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "dji_docks",
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("last_ts", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("mode_code", sa.Integer(), nullable=True),
        sa.Column("drone_in_dock", sa.Boolean(), nullable=True),
        sa.Column("drone_charging", sa.Boolean(), nullable=True),
        sa.Column("drone_battery_pct", sa.Float(), nullable=True),
        sa.Column("drone_serial", sa.String(length=64), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("serial_number", name=op.f("pk_dji_docks")),
    )


def downgrade() -> None:
    op.drop_table("dji_docks")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("last_at")
        batch.drop_column("repeats")
    for table in ("drone_positions", "drones"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("mode_code")
            batch.drop_column("alt_wgs84_m")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("battery_pct")
