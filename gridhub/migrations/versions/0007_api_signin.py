"""api: token versions on users, sign-in attempts for throttling

Revision ID: 0007_api_signin
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridhub.db

revision: str = "0007_api_signin"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("api",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )

    op.create_table(
        "signin_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", gridhub.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_attempts")),
    )
    with op.batch_alter_table("signin_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_signin_attempts_address_at", ["address", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signin_attempts_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signin_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_attempts_at"))
        batch_op.drop_index("ix_signin_attempts_address_at")

    op.drop_table("signin_attempts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
