"""events for hotspot statistics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:01:09.912320
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("street_code", sa.String(length=9), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.Column("pattern", sa.String(length=32), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("ref", name=op.f("uq_events_ref")),
    )
    op.create_index("ix_events_at_category", "events", ["at", "category"], unique=False)
    op.create_geospatial_index(
        "ix_events_geom",
        "events",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_events_grid_code"), "events", ["grid_code"], unique=False)
    op.create_index(op.f("ix_events_street_code"), "events", ["street_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_events_street_code"), table_name="events")
    op.drop_index(op.f("ix_events_grid_code"), table_name="events")
    op.drop_geospatial_index(
        "ix_events_geom", table_name="events", postgresql_using="gist", column_name="geom"
    )
    op.drop_index("ix_events_at_category", table_name="events")
    op.drop_geospatial_table("events")
