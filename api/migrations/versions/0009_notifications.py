"""an inbox per user (notifications); every new case event queued for the fan-out and
announced on the ``case_events`` channel

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Events are written by the service functions and by the report submission's single SQL
# statement (api/reports/store.py): a trigger sees both. The queue row becomes visible only
# when the event's transaction commits, so a consumer that takes queue rows with
# FOR UPDATE SKIP LOCKED and deletes them never skips an event whose transaction committed
# after a later one (a cursor over case_events.id would).
ENQUEUE = """
CREATE FUNCTION case_events_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_queue (event_id) VALUES (NEW.id);
    PERFORM pg_notify('case_events', NEW.case_id::text);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "event_queue",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_queue")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notifications_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
            name=op.f("fk_notifications_event_id_case_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "event_id", name=op.f("uq_notifications_user_id")),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.execute(ENQUEUE)
    op.execute(
        "CREATE TRIGGER case_events_enqueue AFTER INSERT ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION case_events_enqueue()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER case_events_enqueue ON case_events")
    op.execute("DROP FUNCTION case_events_enqueue()")
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("event_queue")
