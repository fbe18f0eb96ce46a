"""Calendar feeds: a secret, revocable URL per therapist or room, and a sequence per session.

A feed's token is stored only as its SHA-256 hash; issuing a new one ends the old one
(``ended_at``), and at most one feed per owner is live (a partial unique index). A session's
``sequence`` grows with every change a calendar app must see (its time, therapist, room or
status): iCalendar's ``SEQUENCE``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("sessions", sa.Column("sequence", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("ended_at", TS, nullable=True),
    )
    op.create_index(
        "ux_calendar_feeds_live_owner",
        "calendar_feeds",
        ["owner_kind", "owner_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_calendar_feeds_live_owner", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("sequence")
