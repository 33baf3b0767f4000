"""A data version that moves on with every change to what pages show.

One row in ``data_state``; triggers on the tracked tables add one to its version, so page caches
keyed on it are invalidated by any writer. On PostgreSQL the triggers are deferred to commit and
bump once per transaction: the counter row is the last lock a transaction takes, held only while
it commits, so writers neither deadlock on it nor queue behind each other's work.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Fixed here, not imported: a migration must keep meaning what it meant when it was written.
TRACKED_TABLES = ("organisations", "facilities", "facility_aliases", "facility_sources",
                  "visits", "visit_members", "visit_summaries", "red_flags", "interviews",
                  "recommendations", "recommendation_updates")
_VERBS = ("INSERT", "UPDATE", "DELETE")
#: A draft's autosave touches only ``lock_version`` and ``updated_at`` of its visit; that shows on
#: no cached page and must not empty every cache while teams are typing. Any other column does.
_VISIT_COLUMNS = ("facility_id", "organisation_id", "created_by_id", "start_date", "end_date",
                  "announced", "scope", "sections", "checklist_id", "checklist_version",
                  "checklist_digest", "state", "previous_visit_id", "submitted_at",
                  "submitted_by_id", "reviewed_at", "reviewed_by_id", "review_comment",
                  "published_at", "published_by_id", "notes_secret", "source_instance_id")


def _event(table: str, verb: str) -> str:
    if table == "visits" and verb == "UPDATE":
        return f"UPDATE OF {', '.join(_VISIT_COLUMNS)}"
    return verb


def upgrade() -> None:
    op.create_table(
        "data_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_state")),
    )
    op.execute("INSERT INTO data_state (id, version) VALUES (1, 0)")
    if op.get_context().dialect.name == "sqlite":
        for table in TRACKED_TABLES:
            for verb in _VERBS:
                op.execute(
                    f"CREATE TRIGGER {table}_bump_{verb.lower()} AFTER {_event(table, verb)} ON {table} "
                    "BEGIN UPDATE data_state SET version = version + 1 WHERE id = 1; END")
        return
    op.execute(
        "CREATE FUNCTION data_state_bump() RETURNS trigger AS $$ "
        "BEGIN "
        "IF current_setting('monitor.data_bumped', true) IS DISTINCT FROM txid_current()::text THEN "
        "UPDATE data_state SET version = version + 1 WHERE id = 1; "
        "PERFORM set_config('monitor.data_bumped', txid_current()::text, true); "
        "END IF; RETURN NULL; END; $$ LANGUAGE plpgsql")
    for table in TRACKED_TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_bump AFTER "
            f"{' OR '.join(_event(table, verb) for verb in _VERBS)} ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_state_bump()")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for table in TRACKED_TABLES:
            for verb in _VERBS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{verb.lower()}")
    else:
        for table in TRACKED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump ON {table}")
        op.execute("DROP FUNCTION IF EXISTS data_state_bump()")
    op.drop_table("data_state")
