"""Over real HTTP: the report submission on the event loop remembers each token's actor, yet a
token logged out, revoked or expired meanwhile is refused at once (its guarded write checks
the token in SQL, ``api.auth.service.TOKEN_USER``) and forgotten."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.service import revoke_tokens, token_hash
from tests.api.served import Served
from tests.api.support import PIN, problem


def _key() -> str:
    return f"tokens-{uuid.uuid4().hex}"


def _log_out(served: Served) -> None:
    headers = {"Authorization": f"Bearer {served.tokens['worker-gw']}"}
    assert served.client.post("/api/auth/logout", headers=headers).status_code == 204


def _revoke(served: Served) -> None:
    with Session(served.engine) as session:
        user_id = session.scalar(
            text("SELECT user_id FROM api_tokens WHERE token_hash = :h"),
            {"h": token_hash(served.tokens["worker-gw"])},
        )
        user = session.get(User, user_id)
        assert user is not None
        assert revoke_tokens(session=session, user=user) == 1
        session.commit()


def _expire(served: Served) -> None:
    with served.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE api_tokens SET expires_at = now() - interval '1 second' "
                "WHERE token_hash = :h"
            ),
            {"h": token_hash(served.tokens["worker-gw"])},
        )


@pytest.mark.parametrize("end", [_log_out, _revoke, _expire], ids=lambda f: f.__name__[1:])
def test_a_remembered_token_that_ended_is_refused_at_once(
    served: Served, end: Callable[[Served], None]
) -> None:
    key = _key()
    assert served.post("worker-gw", PIN, key=key).status_code == 201
    token = served.tokens["worker-gw"]
    assert served.app.state.reporters.get(token) is not None  # remembered
    end(served)
    before = served.counts()
    problem(served.post("worker-gw", PIN, key=_key()), 401, "authorization")
    assert served.app.state.reporters.get(token) is None  # forgotten
    problem(served.post("worker-gw", PIN, key=key), 401, "authorization")  # not a replay
    assert served.counts() == before
    headers = {"Authorization": f"Bearer {token}"}
    problem(served.client.get("/api/auth/me", headers=headers), 401, "authorization")
    assert served.post("worker-far", PIN, key=_key()).status_code == 403  # others: as before


def test_using_a_token_over_http_moves_its_expiry_on(served: Served) -> None:
    h = token_hash(served.tokens["worker-gw"])
    with served.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE api_tokens SET last_used_at = now() - interval '2 minutes', "
                "expires_at = now() + interval '1 minute' WHERE token_hash = :h"
            ),
            {"h": h},
        )
    headers = {"Authorization": f"Bearer {served.tokens['worker-gw']}"}
    assert served.client.get("/api/auth/me", headers=headers).status_code == 200
    with served.engine.connect() as conn:
        left = conn.scalar(
            text(
                "SELECT expires_at - now() > interval '11 hours' FROM api_tokens "
                "WHERE token_hash = :h"
            ),
            {"h": h},
        )
    assert left  # committed by the read-only route
