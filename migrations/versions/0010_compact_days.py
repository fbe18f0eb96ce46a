"""Same-day safety: a session type's modality (``on_site`` or ``telehealth``) and the
clinic's cap on the longest wait between a patient's on-site items of a day (``null``: none).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "session_types",
        sa.Column("modality", sa.String(16), nullable=False, server_default="on_site"),
    )
    op.add_column("clinic", sa.Column("max_wait_minutes", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clinic") as batch:
        batch.drop_column("max_wait_minutes")
    with op.batch_alter_table("session_types") as batch:
        batch.drop_column("modality")
