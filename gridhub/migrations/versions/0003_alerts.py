"""alerts: alerts, their events, deliveries and attempts, timers, live events

Revision ID: 0003_alerts
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0003_alerts"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("alerts",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("area", sa.JSON(), nullable=True),
        sa.Column("grid", sa.String(length=64), nullable=True),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("region_path", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_seen_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.Column("broadcast_roles", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ack_channel", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("ix_alerts_grid_id", "alerts", ["grid", "id"], unique=False)
    op.create_index("ix_alerts_open_id", "alerts", ["is_open", "id"], unique=False)
    op.create_index(op.f("ix_alerts_opened_at"), "alerts", ["opened_at"], unique=False)
    op.create_index(
        "ix_alerts_region_path_id",
        "alerts",
        ["region_path", "id"],
        unique=False,
        postgresql_ops={"region_path": "varchar_pattern_ops"},
    )
    op.create_index(
        "uq_alerts_open_source",
        "alerts",
        ["source_type", "source_id", "kind"],
        unique=True,
        postgresql_where=sa.text("is_open"),
        sqlite_where=sa.text("is_open"),
    )
    op.create_table(
        "live_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=1000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_live_events_at"), "live_events", ["at"], unique=False)
    op.create_table(
        "patrol_watch",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "code", name=op.f("pk_patrol_watch")),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_code", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acked_at", gridhub.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_deliveries_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(
        op.f("ix_alert_deliveries_alert_id"), "alert_deliveries", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_alert_deliveries_due",
        "alert_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_alert_deliveries_member_code"), "alert_deliveries", ["member_code"], unique=False
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_events_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"], unique=False)
    op.create_table(
        "alert_grids",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grid", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_grids_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "grid", name=op.f("pk_alert_grids")),
    )
    op.create_index(
        op.f("ix_alert_grids_path"),
        "alert_grids",
        ["path"],
        unique=False,
        postgresql_ops={"path": "varchar_pattern_ops"},
    )
    op.create_table(
        "alert_timers",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("due_at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_timers_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_timers")),
    )
    op.create_index(op.f("ix_alert_timers_due_at"), "alert_timers", ["due_at"], unique=False)
    op.create_table(
        "alert_delivery_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["alert_deliveries.id"],
            name=op.f("fk_alert_delivery_attempts_delivery_id_alert_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_alert_delivery_attempts_delivery_id"),
        "alert_delivery_attempts",
        ["delivery_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_alert_delivery_attempts_delivery_id"), table_name="alert_delivery_attempts"
    )
    op.drop_table("alert_delivery_attempts")
    op.drop_index(op.f("ix_alert_timers_due_at"), table_name="alert_timers")
    op.drop_table("alert_timers")
    op.drop_index(op.f("ix_alert_grids_path"), table_name="alert_grids")
    op.drop_table("alert_grids")
    op.drop_index(op.f("ix_alert_events_alert_id"), table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index(op.f("ix_alert_deliveries_member_code"), table_name="alert_deliveries")
    op.drop_index(
        "ix_alert_deliveries_due",
        table_name="alert_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_alert_deliveries_alert_id"), table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_table("patrol_watch")
    op.drop_index(op.f("ix_live_events_at"), table_name="live_events")
    op.drop_table("live_events")
    op.drop_index(
        "uq_alerts_open_source",
        table_name="alerts",
        postgresql_where=sa.text("is_open"),
        sqlite_where=sa.text("is_open"),
    )
    op.drop_index("ix_alerts_region_path_id", table_name="alerts")
    op.drop_index(op.f("ix_alerts_opened_at"), table_name="alerts")
    op.drop_index("ix_alerts_open_id", table_name="alerts")
    op.drop_index("ix_alerts_grid_id", table_name="alerts")
    op.drop_table("alerts")
