"""a cheap marker of changed events and reports for the map and tile caches

Every statement that writes what the cached maps and tiles are computed from — ``events``,
``reports``, the codes of ``cases`` (a case moved to another street) — bumps the data mark of
its own database connection (its backend pid): one row of ``data_marks`` per connection, so
concurrent writers never wait for each other's row, set to the next value of
``data_mark_seq``. The marker the caches compare is the sum of the committed marks
(``api.maps.cache``): a few rows, whatever the number of events. A committed write raises it
(its connection's mark grows, or a row is added); a rolled-back one leaves it as it was; a
write still in flight is not counted until it commits. The sequence itself is not
transactional, so a rolled-back write leaves a gap in its values, which nothing reads.

Rows of connections that have ended are folded into the row of backend 0 now and then (every
4,096th mark), which keeps the sum and keeps the table at about one row per live connection.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FOLD_EVERY = 4096

# the table, its trigger events (column lists: only these columns are read by the maps)
WATCHED = {
    "events": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "reports": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "cases": (
        "UPDATE OF grid_code, community_code, lead_street_code, district_code OR DELETE OR TRUNCATE"
    ),
}

BUMP = f"""
CREATE FUNCTION bump_data_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_mark bigint := nextval('data_mark_seq');
BEGIN
    INSERT INTO data_marks (backend, mark) VALUES (pg_backend_pid(), next_mark)
    ON CONFLICT (backend) DO UPDATE SET mark = excluded.mark;
    IF next_mark % {FOLD_EVERY} = 0 THEN
        -- fold the rows of connections that have ended into backend 0's (the sum stays)
        WITH gone AS (
            DELETE FROM data_marks m
             WHERE m.backend <> 0 AND m.backend <> pg_backend_pid()
               AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = m.backend)
            RETURNING m.mark
        )
        INSERT INTO data_marks (backend, mark)
        SELECT 0, sum(mark) FROM gone HAVING count(*) > 0
        ON CONFLICT (backend) DO UPDATE SET mark = data_marks.mark + excluded.mark;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE data_mark_seq")
    op.create_table(
        "data_marks",
        sa.Column("backend", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("backend", name=op.f("pk_data_marks")),
    )
    op.execute(BUMP)
    for table, events in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_data_mark AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_mark()"
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_data_mark ON {table}")
    op.execute("DROP FUNCTION bump_data_mark()")
    op.drop_table("data_marks")
    op.execute("DROP SEQUENCE data_mark_seq")
