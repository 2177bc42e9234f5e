"""alerts: an index of the open alerts by region path, for the scoped open list and its count

Revision ID: 0017_alerts_open_scope_index
Revises: 0016_alert_aliases
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_alerts_open_scope_index"
down_revision: str | Sequence[str] | None = "0016_alert_aliases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_alerts_open_region_path_id",
        "alerts",
        ["region_path", "id"],
        postgresql_ops={"region_path": "varchar_pattern_ops"},
        postgresql_where=sa.text("is_open"),
        sqlite_where=sa.text("is_open"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_alerts_open_region_path_id",
        table_name="alerts",
        postgresql_where=sa.text("is_open"),
        sqlite_where=sa.text("is_open"),
    )
