"""``gridwhistle webhooks add|list|remove|deliver|replay`` against a throwaway database."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from api.cli import app

runner = CliRunner()


def _invoke(*args: str) -> Result:
    return runner.invoke(app, ["webhooks", *args])


def _subscriptions(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT scope, code, url, kinds FROM webhook_subscriptions ORDER BY id")
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_add_list_deliver_replay_remove(cli_db: str) -> None:
    added = _invoke(
        "add",
        "--scope",
        "street",
        "--code",
        "110102020",
        "--url",
        "https://sms.example/hook",
        "--kinds",
        "case:new, supervision:*",
    )
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert len(secret) >= 32  # generated and printed once
    assert _subscriptions(cli_db) == [
        ("street", "110102020", "https://sms.example/hook", ["case:new", "supervision:*"])
    ]
    listed = _invoke("list")
    assert (
        listed.exit_code == 0 and "110102020" in listed.output and "supervision:*" in listed.output
    )
    delivered = _invoke("deliver")
    assert delivered.exit_code == 0, delivered.output
    assert "delivered 0" in delivered.output
    replayed = _invoke("replay", "--dead", "--since", "2026-06-01T00:00")
    assert replayed.exit_code == 0 and "0 deliver" in replayed.output
    assert _invoke("remove", "1").exit_code == 0
    assert _subscriptions(cli_db) == []


def test_refusals_exit_non_zero_and_write_nothing(cli_db: str) -> None:
    for args, says in (
        (["--scope", "street", "--code", "110102020", "--url", "ftp://x/hook"], "--url"),
        (["--scope", "city", "--code", "110102020", "--url", "https://x/hook"], "--scope"),
        (["--scope", "district", "--code", "11010", "--url", "https://x/hook"], "--code"),
        (["--scope", "department", "--code", "110102-none", "--url", "https://x/h"], "--code"),
        (
            ["--scope", "street", "--code", "110102020", "--url", "https://x/h", "--secret", "s"],
            "--secret",
        ),
    ):
        refused = _invoke("add", *args)
        assert refused.exit_code == 1, refused.output
        assert says in refused.output
    assert _subscriptions(cli_db) == []
    assert _invoke("remove", "7").exit_code == 1
    assert _invoke("replay").exit_code == 2  # which ones: --dead or --since
    assert _invoke("replay", "--since", "yesterday").exit_code == 2
