"""Recovery after the dose: each protocol version says how long a patient stays under
observation after an infusion ends (ISO 8601, default ``PT1H``); nothing is booked for the
patient then. Versions stored before this get the default, so an upgraded clinic keeps its
patients clear of sessions for the first hour after every infusion it books around from now
on (sessions booked already are not touched).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "protocol_versions",
        sa.Column("recovery", sa.String(32), nullable=False, server_default="PT1H"),
    )


def downgrade() -> None:
    with op.batch_alter_table("protocol_versions") as batch:
        batch.drop_column("recovery")
