"""foundation: generations, areas, parts, roads, chiefs, zones, catalogues

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:06:51.173387
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.CheckConstraint("kind IN ('event', 'component')", name=op.f("ck_categories_kind")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.CheckConstraint("level IN ('district', 'city')", name=op.f("ck_departments_level")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_index(
        op.f("ix_departments_district_code"), "departments", ["district_code"], unique=False
    )
    op.create_index(op.f("ix_departments_kind"), "departments", ["kind"], unique=False)
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("levels", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
    )
    op.create_geospatial_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.String(length=15), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "level IN ('district', 'street', 'community', 'grid')", name=op.f("ck_areas_level")
        ),
        sa.CheckConstraint(
            "generation_low <= generation_high", name=op.f("ck_areas_generation_order")
        ),
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generations.id"],
            name=op.f("fk_areas_generation_high_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"], ["generations.id"], name=op.f("fk_areas_generation_low_generations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("level", "code", "generation_low", name="uq_areas_level_code_gen"),
    )
    op.create_index(op.f("ix_areas_code"), "areas", ["code"], unique=False)
    op.create_geospatial_index(
        "ix_areas_geom", "areas", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(
        "ix_areas_level_generation",
        "areas",
        ["level", "generation_low", "generation_high"],
        unique=False,
    )
    op.create_index(op.f("ix_areas_parent_code"), "areas", ["parent_code"], unique=False)
    op.create_table(
        "chiefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("generation_low", sa.Integer(), nullable=False),
        sa.Column("generation_high", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generations.id"],
            name=op.f("fk_chiefs_generation_high_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"],
            ["generations.id"],
            name=op.f("fk_chiefs_generation_low_generations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chiefs")),
        sa.UniqueConstraint("ref", "generation_low", name="uq_chiefs_ref_gen"),
    )
    op.create_index(op.f("ix_chiefs_ref"), "chiefs", ["ref"], unique=False)
    op.create_index(op.f("ix_chiefs_street_code"), "chiefs", ["street_code"], unique=False)
    op.create_geospatial_table(
        "land_use_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generations.id"],
            name=op.f("fk_land_use_zones_generation_high_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"],
            ["generations.id"],
            name=op.f("fk_land_use_zones_generation_low_generations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_land_use_zones")),
        sa.UniqueConstraint("code", "generation_low", name="uq_land_use_zones_code_gen"),
    )
    op.create_index(op.f("ix_land_use_zones_code"), "land_use_zones", ["code"], unique=False)
    op.create_geospatial_index(
        "ix_land_use_zones_geom",
        "land_use_zones",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "roads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("chief_ref", sa.String(length=32), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTILINESTRING",
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
        sa.CheckConstraint("kind IN ('street', 'alley')", name=op.f("ck_roads_kind")),
        sa.ForeignKeyConstraint(
            ["generation_high"],
            ["generations.id"],
            name=op.f("fk_roads_generation_high_generations"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"], ["generations.id"], name=op.f("fk_roads_generation_low_generations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roads")),
        sa.UniqueConstraint("ref", "generation_low", name="uq_roads_ref_gen"),
    )
    op.create_geospatial_index(
        "ix_roads_geom", "roads", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_roads_ref"), "roads", ["ref"], unique=False)
    op.create_index(op.f("ix_roads_street_code"), "roads", ["street_code"], unique=False)
    op.create_geospatial_table(
        "area_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_area_parts_area_id_areas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_parts")),
    )
    op.create_index(op.f("ix_area_parts_area_id"), "area_parts", ["area_id"], unique=False)
    op.create_geospatial_index(
        "ix_area_parts_geom",
        "area_parts",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )


def downgrade() -> None:
    op.drop_geospatial_index(
        "ix_area_parts_geom", table_name="area_parts", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_area_parts_area_id"), table_name="area_parts")
    op.drop_geospatial_table("area_parts")
    op.drop_index(op.f("ix_roads_street_code"), table_name="roads")
    op.drop_index(op.f("ix_roads_ref"), table_name="roads")
    op.drop_geospatial_index(
        "ix_roads_geom", table_name="roads", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("roads")
    op.drop_geospatial_index(
        "ix_land_use_zones_geom",
        table_name="land_use_zones",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index(op.f("ix_land_use_zones_code"), table_name="land_use_zones")
    op.drop_geospatial_table("land_use_zones")
    op.drop_index(op.f("ix_chiefs_street_code"), table_name="chiefs")
    op.drop_index(op.f("ix_chiefs_ref"), table_name="chiefs")
    op.drop_table("chiefs")
    op.drop_index(op.f("ix_areas_parent_code"), table_name="areas")
    op.drop_index("ix_areas_level_generation", table_name="areas")
    op.drop_geospatial_index(
        "ix_areas_geom", table_name="areas", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_areas_code"), table_name="areas")
    op.drop_geospatial_table("areas")
    op.drop_table("generations")
    op.drop_index(op.f("ix_departments_kind"), table_name="departments")
    op.drop_index(op.f("ix_departments_district_code"), table_name="departments")
    op.drop_table("departments")
    op.drop_table("categories")
