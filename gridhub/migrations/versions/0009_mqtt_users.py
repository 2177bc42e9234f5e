"""mqtt: the broker's users (password hashes) and their revision

Revision ID: 0009_mqtt_users
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0009_mqtt_users"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("mqtt",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mqtt_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("updated_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mqtt_users")),
        sa.UniqueConstraint("username", name=op.f("uq_mqtt_users_username")),
    )
    revision_table = op.create_table(
        "mqtt_user_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mqtt_user_revision")),
    )
    # The one row exists from the start, so that concurrent first writers only update it.
    op.bulk_insert(revision_table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("mqtt_user_revision")
    op.drop_table("mqtt_users")
