"""api_tokens.scope: a token for the whole API, or an Open311 api_key only

An Open311 client (a resident app, the 12345 hotline's system) holds its api_key in its own
configuration; a key that could also triage, whistle or read every case of its user would
be a bearer token in the wrong hands. Existing tokens keep the whole API.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_tokens",
        sa.Column("scope", sa.String(16), nullable=False, server_default="api"),
    )
    op.create_check_constraint(
        op.f("ck_api_tokens_scope"), "api_tokens", "scope IN ('api', 'open311')"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_api_tokens_scope"), "api_tokens", type_="check")
    op.drop_column("api_tokens", "scope")
