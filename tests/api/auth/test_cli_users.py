"""``gridwhistle users revoke`` and ``users password``; ``users add`` keeps the password
policy."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from api.cli import app

runner = CliRunner()


def _invoke(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_users_revoke_revokes_every_token_of_the_user(cli_db: str) -> None:
    assert _invoke("users", "add", "phone", "--role", "admin").exit_code == 0
    assert _invoke("users", "token", "phone").exit_code == 0
    assert _invoke("users", "token", "phone", "--open311").exit_code == 0
    assert _invoke("users", "add", "other", "--role", "admin").exit_code == 0
    revoked = _invoke("users", "revoke", "phone")
    assert revoked.exit_code == 0, revoked.output
    assert "revoked 3 token(s) of phone" in revoked.output
    assert "revoked 0 token(s)" in _invoke("users", "revoke", "phone").output  # none left
    left = _rows(
        cli_db,
        "SELECT u.username, count(*) FILTER (WHERE t.revoked_at IS NULL) FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id GROUP BY u.username ORDER BY 1",
    )
    assert left == [("other", 1), ("phone", 0)]
    events = _rows(
        cli_db,
        "SELECT kind, username, data ->> 'tokens' FROM audit_events "
        "WHERE kind = 'token:revoked' ORDER BY id",
    )
    assert events == [("token:revoked", "phone", "3"), ("token:revoked", "phone", "0")]
    assert _invoke("users", "revoke", "nobody").exit_code == 1


def test_users_add_and_password_keep_the_minimum_length(cli_db: str) -> None:
    short = _invoke("users", "add", "pw", "--role", "admin", "--password", "too-short")
    assert short.exit_code == 1
    assert "password needs at least 10 characters" in short.output
    assert _rows(cli_db, "SELECT count(*) FROM users") == [(0,)]
    added = _invoke("users", "add", "pw", "--role", "admin", "--password", "long-enough-1")
    assert added.exit_code == 0, added.output
    refused = _invoke("users", "password", "pw", "--password", "short")
    assert refused.exit_code == 1 and "at least 10" in refused.output
    changed = _invoke("users", "password", "pw", input="a-new-password\na-new-password\n")
    assert changed.exit_code == 0, changed.output
    assert "revoked 1 token(s)" in changed.output  # the token users add printed
    kinds = _rows(cli_db, "SELECT kind FROM audit_events ORDER BY id")
    assert kinds == [("user:created",), ("user:changed",), ("token:revoked",)]
