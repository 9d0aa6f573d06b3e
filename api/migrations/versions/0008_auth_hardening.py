"""tokens that expire and can be revoked, login attempts, audit events

A bearer token now expires: ``expires_at`` (moved on by use up to a maximum lifetime),
``last_used_at`` (when it was last moved on) and ``revoked_at`` (logout, ``gridwhistle
users revoke``). Bearer tokens issued before get 12 hours from the upgrade, like a fresh
login; Open311 keys keep no expiry. ``login_throttles`` counts recent failed logins per
username and per client address so that every worker process slows and refuses the same
guesser; ``audit_events`` records logins, account changes and revocations.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("expires_at", "last_used_at", "revoked_at"):
        op.add_column("api_tokens", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE api_tokens SET last_used_at = now(), expires_at = now() + interval '12 hours' "
        "WHERE scope = 'api'"
    )
    op.create_check_constraint(
        op.f("ck_api_tokens_expires"), "api_tokens", "scope = 'open311' OR expires_at IS NOT NULL"
    )
    op.create_table(
        "login_throttles",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('username', 'address')", name=op.f("ck_login_throttles_kind")),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_kind_at", "audit_events", ["kind", "at"])
    op.create_index("ix_audit_events_username_at", "audit_events", ["username", "at"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("login_throttles")
    op.drop_constraint(op.f("ck_api_tokens_expires"), "api_tokens", type_="check")
    for column in ("revoked_at", "last_used_at", "expires_at"):
        op.drop_column("api_tokens", column)
