"""cameras: camera and drone feeds, status history

Revision ID: 0004_cameras
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import gridhub.db

revision: str = "0004_cameras"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("cameras",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("position_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("grid_override", sa.Boolean(), nullable=False),
        sa.Column("stream_url", sa.String(length=1000), nullable=True),
        sa.Column("sub_stream_url", sa.String(length=1000), nullable=True),
        sa.Column("snapshot_url", sa.String(length=1000), nullable=True),
        sa.Column("onvif_url", sa.String(length=1000), nullable=True),
        sa.Column("onvif_user", sa.String(length=200), nullable=True),
        sa.Column("onvif_secret", sa.Text(), nullable=True),
        sa.Column("onvif_profile", sa.String(length=200), nullable=True),
        sa.Column("ptz", sa.Boolean(), nullable=False),
        sa.Column("maintainer", sa.String(length=64), nullable=True),
        sa.Column("device", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column("status_since", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("candidate_status", sa.String(length=16), nullable=True),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("last_probe_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["regions.id"],
            name=op.f("fk_cameras_grid_id_regions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("code", name=op.f("uq_cameras_code")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_cameras_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_cameras_grid_id"), ["grid_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_status"), ["status"], unique=False)
    op.create_table(
        "camera_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_status_changes_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_status_changes")),
    )
    with op.batch_alter_table("camera_status_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_camera_status_changes_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_camera_status_changes_camera_id"), ["camera_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("camera_status_changes")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_geospatial_index(
            "idx_cameras_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("cameras")
