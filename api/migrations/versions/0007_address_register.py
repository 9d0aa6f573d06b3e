"""address_entries: the standard address register, versioned by generation; reports keep the
caller's address words, the geocoding outcome and the chosen candidate; users.role: hotline

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = (
    "'grid_worker', 'community', 'street', 'district', 'department', 'analyst', 'admin', 'chief'"
)


def upgrade() -> None:
    op.create_geospatial_table(
        "address_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("road", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("suffix", sa.String(length=8), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("building", sa.Integer(), nullable=True),
        sa.Column("group", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
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
        sa.Column("generation_low", sa.Integer(), nullable=False),
        sa.Column("generation_high", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('plate', 'compound', 'building', 'village', 'poi')",
            name=op.f("ck_address_entries_kind"),
        ),
        sa.CheckConstraint("side IN ('', 'odd', 'even')", name=op.f("ck_address_entries_side")),
        sa.CheckConstraint(
            "generation_low <= generation_high", name=op.f("ck_address_entries_generation_order")
        ),
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generations.id"],
            name=op.f("fk_address_entries_generation_high_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"],
            ["generations.id"],
            name=op.f("fk_address_entries_generation_low_generations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_entries")),
        sa.UniqueConstraint("ref", "generation_low", name="uq_address_entries_ref_gen"),
    )
    op.create_geospatial_index(
        "ix_address_entries_geom",
        "address_entries",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_address_entries_generation",
        "address_entries",
        ["generation_low", "generation_high"],
        unique=False,
    )
    op.create_index(op.f("ix_address_entries_ref"), "address_entries", ["ref"], unique=False)
    op.create_index(
        op.f("ix_address_entries_street_code"), "address_entries", ["street_code"], unique=False
    )
    op.add_column("reports", sa.Column("address_text", sa.Text(), nullable=True))
    op.add_column("reports", sa.Column("address_status", sa.String(length=10), nullable=True))
    op.add_column(
        "reports",
        sa.Column("address_candidate", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", f"role IN ({ROLES}, 'hotline')")


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'hotline'")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", f"role IN ({ROLES})")
    op.drop_column("reports", "address_candidate")
    op.drop_column("reports", "address_status")
    op.drop_column("reports", "address_text")
    op.drop_index(op.f("ix_address_entries_street_code"), table_name="address_entries")
    op.drop_index(op.f("ix_address_entries_ref"), table_name="address_entries")
    op.drop_index("ix_address_entries_generation", table_name="address_entries")
    op.drop_geospatial_index(
        "ix_address_entries_geom",
        table_name="address_entries",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("address_entries")
