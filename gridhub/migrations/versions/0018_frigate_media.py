"""alerts: whether Frigate keeps a snapshot and a clip of each tracked object of an incident

Revision ID: 0018_frigate_media
Revises: 0017_alerts_open_scope_index
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_frigate_media"
down_revision: str | Sequence[str] | None = "0017_alerts_open_scope_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_aliases") as batch:
        batch.add_column(
            sa.Column("has_snapshot", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("has_clip", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_aliases") as batch:
        batch.drop_column("has_clip")
        batch.drop_column("has_snapshot")
