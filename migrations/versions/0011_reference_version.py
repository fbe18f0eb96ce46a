"""Reference data's version: ``clinic.reference_version``, bumped by the database whenever
the clinic, a protocol version, a therapist, time off, a room or a session type changes.

Reading units of work keep those between transactions while the version they read is the
one the kept copy was read under (``models/reference.py``). Triggers, not the application,
bump it, so no write path can forget to: an admin's edit, a script's UPDATE, a restore of
rows. The bump is in the writing transaction, so it is seen exactly when the change is.
A fresh database starts from a random version (and a new clinic row from another), so a
process that outlives its database never meets its old numbers again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("protocol_versions", "therapists", "time_off", "rooms", "session_types")
CLINIC_FIELDS = "name, timezone, max_wait_minutes"
BUMP = "UPDATE clinic SET reference_version = reference_version + 1"


def upgrade() -> None:
    op.add_column(
        "clinic", sa.Column("reference_version", sa.BigInteger, nullable=False, server_default="0")
    )
    op.execute(f"UPDATE clinic SET reference_version = {secrets.randbits(48)}")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    op.execute(
        f"""CREATE FUNCTION bump_reference_version() RETURNS trigger AS $$
        BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"""
    )
    op.execute(
        """CREATE FUNCTION bump_own_reference_version() RETURNS trigger AS $$
        BEGIN NEW.reference_version := OLD.reference_version + 1; RETURN NEW; END $$
        LANGUAGE plpgsql"""
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_reference_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()"
        )
    op.execute(
        f"CREATE TRIGGER clinic_reference_version BEFORE UPDATE OF {CLINIC_FIELDS} ON clinic "
        "FOR EACH ROW EXECUTE FUNCTION bump_own_reference_version()"
    )


def _sqlite_triggers() -> None:
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_reference_version "
                f"AFTER {event} ON {table} BEGIN {BUMP}; END"
            )
    op.execute(
        f"CREATE TRIGGER clinic_reference_version AFTER UPDATE OF {CLINIC_FIELDS} ON clinic "
        f"BEGIN {BUMP}; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*TABLES, "clinic"):
            op.execute(f"DROP TRIGGER {table}_reference_version ON {table}")
        op.execute("DROP FUNCTION bump_reference_version()")
        op.execute("DROP FUNCTION bump_own_reference_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{event}_reference_version")
        op.execute("DROP TRIGGER clinic_reference_version")
    with op.batch_alter_table("clinic") as batch:
        batch.drop_column("reference_version")
