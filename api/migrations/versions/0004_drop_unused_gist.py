"""drop the GiST indexes no query uses (cases.position, reports.geom)

Every new report paid for two GiST inserts that no query ever used: case positions and report
geometries are only read, never searched (searches go through cases.geom).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_position", table_name="cases", postgresql_using="gist")
    op.drop_index("ix_reports_geom", table_name="reports", postgresql_using="gist")


def downgrade() -> None:
    op.create_index("ix_reports_geom", "reports", ["geom"], postgresql_using="gist")
    op.create_index("ix_cases_position", "cases", ["position"], postgresql_using="gist")
