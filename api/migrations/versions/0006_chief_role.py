"""users.role: the street-and-alley chief (街巷长), whose jurisdiction is the chief's ref

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROLES = "'grid_worker', 'community', 'street', 'district', 'department', 'analyst', 'admin'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", f"role IN ({ROLES}, 'chief')")


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'chief'")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", f"role IN ({ROLES})")
