"""Sessions remember their previous status and when it changed, so a mis-tap can be undone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN on both backends (SQLite supports it; no table copy is needed)
    op.add_column("sessions", sa.Column("previous_status", sa.String(16), nullable=True))
    op.add_column(
        "sessions", sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("status_changed_at")
        batch.drop_column("previous_status")
