"""alerts: titles as catalogue keys and arguments, rendered in each reader's language

Revision ID: 0006_alert_title_key
Revises: 0003_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_alert_title_key"
down_revision: str | Sequence[str] | None = "0003_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("title_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("title_args", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("title_args")
        batch.drop_column("title_key")
