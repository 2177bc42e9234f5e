"""ingest: a photo attached to a check-in (re-encoded), with what its EXIF said

Revision ID: 0013_checkin_photos
Revises: 0002_ingest
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0013_checkin_photos"
down_revision: str | Sequence[str] | None = "0002_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_photos",
        sa.Column(
            "checkin_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey(
                "checkins.id",
                name=op.f("fk_checkin_photos_checkin_id_checkins"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("exif", sa.JSON(), nullable=True),
        sa.Column("created_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("checkin_id", name=op.f("pk_checkin_photos")),
    )


def downgrade() -> None:
    op.drop_table("checkin_photos")
