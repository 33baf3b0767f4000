"""Findings' sentences and suggested recommendations are said on reading, not stored.

A submit used to write every finding's sentence in every catalogue language and one
recommendation row per standard not met, about 110 KB per visit. The sentence is now said from
the stored evidence when a page or a report needs it, and suggestions are drafted from the
findings when the results page is shown; only a team's decision is stored — a recommendation it
confirmed, or a suggestion it discarded (``dismissed_suggestions``).

Unconfirmed suggestion rows are deleted: the results page offers the same suggestions again,
drafted from the same findings. Downgrading brings the ``text`` column back empty and cannot
bring those rows back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissed_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.String(length=64), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dismissed_by_id"], ["users.id"],
                                name=op.f("fk_dismissed_suggestions_dismissed_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"],
                                name=op.f("fk_dismissed_suggestions_visit_id_visits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dismissed_suggestions")),
        sa.UniqueConstraint("visit_id", "standard_id",
                            name=op.f("uq_dismissed_suggestions_visit_id_standard_id")),
    )
    op.execute("DELETE FROM recommendations WHERE status = 'suggested'")
    # SQLite (3.35 and later) and PostgreSQL both drop a plain column in place; the column has
    # no index or constraint, so no table copy is needed.
    op.drop_column("findings", "text")


def downgrade() -> None:
    op.add_column("findings", sa.Column("text", sa.JSON(), nullable=False,
                                        server_default=sa.text("'{}'")))
    op.drop_table("dismissed_suggestions")
