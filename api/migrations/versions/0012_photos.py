"""photos of a case served as thumbnails, and after-photos a department attaches when it resolves

photo_thumbnails keeps each photo's thumbnail once made; a photo belongs to a report or to an
assignment's resolution, never both nor neither.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_check_constraint(
        op.f("ck_report_photos_one_owner"),
        "report_photos",
        "num_nonnulls(report_id, assignment_id) = 1",
    )
    op.create_table(
        "photo_thumbnails",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["report_photos.id"],
            name=op.f("fk_photo_thumbnails_photo_id_report_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", "side", name=op.f("pk_photo_thumbnails")),
    )


def downgrade() -> None:
    op.drop_table("photo_thumbnails")
    op.drop_constraint(op.f("ck_report_photos_one_owner"), "report_photos", type_="check")
