"""call-backs (回访) of resolved hotline cases and the source of each satisfaction rating

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
