"""alerts: area warnings' details, the CAP messages applied to them, per-member receipts

Revision ID: 0014_flood_receipts
Revises: 0006_alert_title_key
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0014_flood_receipts"
down_revision: str | Sequence[str] | None = "0006_alert_title_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = gridhub.db.UtcDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "area_alerts",
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("sender", sa.String(length=256), nullable=False),
        sa.Column("headline", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.Column("area_desc", sa.Text(), nullable=True),
        sa.Column("bbox", sa.JSON(), nullable=False),
        sa.Column("simple_area", sa.JSON(), nullable=False),
        sa.Column("valid_until", UTC, nullable=True),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.Column("lifted_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_area_alerts_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_area_alerts")),
    )
    op.create_index(op.f("ix_area_alerts_valid_until"), "area_alerts", ["valid_until"])
    op.create_table(
        "area_alert_keys",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_area_alert_keys_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_area_alert_keys")),
    )
    op.create_index(op.f("ix_area_alert_keys_alert_id"), "area_alert_keys", ["alert_id"])
    op.create_table(
        "warning_receipts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("member_code", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("read_at", UTC, nullable=True),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("reminded_at", UTC, nullable=True),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("released_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_warning_receipts_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_receipts")),
        sa.UniqueConstraint("alert_id", "member_code", name=op.f("uq_warning_receipts_alert_id")),
    )
    op.create_index(op.f("ix_warning_receipts_alert_id"), "warning_receipts", ["alert_id"])


def downgrade() -> None:
    op.drop_table("warning_receipts")
    op.drop_table("area_alert_keys")
    op.drop_table("area_alerts")
