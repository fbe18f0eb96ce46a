"""Infusion chairs: an infusion holds a room of kind ``infusion_chair`` from its start to the
end of its recovery (``chair_until``, stored so that the database can keep holds apart).

On PostgreSQL an exclusion constraint refuses two holds of one chair that overlap (as for
sessions, deferrable, checked at once unless a transaction asks); SQLite's writes are
serialised and the planner's check covers it. Infusions recorded before hold no chair.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
HOLDS = "status = 'scheduled' AND chair_id IS NOT NULL"


def add_reference(table: str, column: str, target: str, name: str) -> None:
    """A nullable foreign key column. SQLite takes it inline (``ADD COLUMN … REFERENCES``):
    alembic's batch mode would copy the table, which its foreign keys (sessions point at
    infusions) refuse once it holds rows; PostgreSQL adds a named constraint."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
        return
    op.add_column(table, sa.Column(column, sa.Integer, nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def upgrade() -> None:
    add_reference("infusions", "chair_id", "rooms", "fk_infusions_chair_id_rooms")
    op.add_column("infusions", sa.Column("chair_until", TS, nullable=True))
    op.create_index("ix_infusions_chair_start", "infusions", ["chair_id", "start"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE infusions ADD CONSTRAINT ex_infusions_chair_overlap EXCLUDE USING gist "
            f"(chair_id WITH =, tstzrange(start, chair_until, '[)') WITH &&) WHERE ({HOLDS}) "
            "DEFERRABLE INITIALLY IMMEDIATE"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE infusions DROP CONSTRAINT ex_infusions_chair_overlap")
    op.drop_index("ix_infusions_chair_start", "infusions")
    with op.batch_alter_table("infusions") as batch:
        batch.drop_column("chair_until")
        batch.drop_column("chair_id")
