"""alerts: the other source ids an alert stands for (a Frigate review and its tracked objects)

Revision ID: 0016_alert_aliases
Revises: 0006_alert_title_key
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_alert_aliases"
down_revision: str | Sequence[str] | None = "0006_alert_title_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_aliases",
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_aliases_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_type", "source_id", name=op.f("pk_alert_aliases")),
    )
    op.create_index(op.f("ix_alert_aliases_alert_id"), "alert_aliases", ["alert_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_aliases_alert_id"), table_name="alert_aliases")
    op.drop_table("alert_aliases")
