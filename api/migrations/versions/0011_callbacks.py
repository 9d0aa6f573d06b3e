"""call-backs (回访) of resolved hotline cases and the source of each satisfaction rating

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Ratings given before the source was recorded: the closing event's actor was the reporter
# (a grid worker, chief or call-taker may only rate what they reported) or a street,
# community or administrator rating the case themselves.
BACKFILL = """
UPDATE cases c SET rating_source = CASE
    WHEN EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id AND r.reporter_id = e.actor_id)
        THEN 'reporter'
    ELSE left(e.actor_role, 12)
END
FROM case_events e
WHERE e.case_id = c.id AND e.kind = 'case:closed' AND c.rating IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("cases", sa.Column("rating_source", sa.String(length=12), nullable=True))
    op.execute(BACKFILL)
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("called_by", sa.Integer(), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_callbacks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["called_by"], ["users.id"], name=op.f("fk_callbacks_called_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_callbacks_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index(op.f("ix_callbacks_case_id"), "callbacks", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_callbacks_case_id"), table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_column("cases", "rating_source")
