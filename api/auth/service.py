"""Users, passwords (scrypt), logins and tokens (stored as SHA-256): bearer tokens that expire
unless used and can be revoked, Open311 api_keys (docs/roles.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy.orm import Session

from api.auth import audit, throttle
from api.auth.audit import AuditKind
from api.auth.models import ApiToken, User
from api.auth.roles import Actor, Role, chief_street
from api.auth.throttle import LoginPolicy, LoginThrottled
from api.config import Settings, get_settings
from api.errors import Conflict, InvalidInput, Unauthorized
from api.geography import service as geography
from api.geography.models import Chief

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """scrypt$<salt hex>$<hash hex>."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored scrypt hash."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$")
    candidate = hash_password(password, salt=bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


def token_hash(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


# What a token opens: the whole API as a bearer token, or only Open311's "create a request"
# as its api_key (a key that sits in a third-party app's configuration)
API_SCOPE = "api"
OPEN311_SCOPE = "open311"


@dataclass(frozen=True)
class TokenPolicy:
    """How long tokens live (``api.config.Settings``, docs/roles.md): a bearer token expires
    ``idle_s`` after its last use, never later than ``max_s`` after it was issued; use moves
    its expiry on at most every ``touch_s``. An Open311 key lives until revoked, or
    ``open311_max_s`` when set."""

    idle_s: float = 12 * 3600
    max_s: float = 30 * 86400
    touch_s: float = 60
    open311_max_s: float | None = None

    @classmethod
    def of(cls, settings: Settings) -> TokenPolicy:
        """The policy the settings give."""
        return cls(
            idle_s=settings.token_idle_s,
            max_s=settings.token_max_s,
            touch_s=settings.token_touch_s,
            open311_max_s=settings.open311_key_max_s,
        )


def _seconds(value: float) -> Any:
    """An interval of ``value`` seconds, in SQL."""
    return func.make_interval(0, 0, 0, 0, 0, 0, value)


def issue_token(
    *,
    session: Session,
    user: User,
    label: str = "",
    token: str | None = None,
    scope: str = API_SCOPE,
    policy: TokenPolicy | None = None,
) -> str:
    """Create a bearer token (or, with ``scope="open311"``, an Open311 api_key) for ``user``
    (random unless given) and store its hash; its lifetime starts on the database's clock."""
    policy = policy or TokenPolicy.of(get_settings())
    token = token or secrets.token_urlsafe(32)
    if scope == API_SCOPE:
        expires: Any = func.now() + _seconds(min(policy.idle_s, policy.max_s))
    elif policy.open311_max_s is not None:
        expires = func.now() + _seconds(policy.open311_max_s)
    else:
        expires = None
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_hash(token),
            label=label,
            scope=scope,
            expires_at=expires,
            last_used_at=func.now(),
        )
    )
    session.flush()
    return token


def check_jurisdiction(role: Role, jurisdiction: str | None) -> None:
    """Refuse a jurisdiction code that does not fit the role."""
    expected = {
        Role.GRID_WORKER: (12, 9),
        Role.COMMUNITY: (12,),
        Role.STREET: (9,),
        Role.DISTRICT: (6,),
    }
    lengths = expected.get(role, ())
    fits = bool(jurisdiction and jurisdiction.isdigit() and len(jurisdiction) in lengths)
    if lengths and not fits:
        wanted = " or ".join(str(n) for n in lengths)
        raise InvalidInput(
            f"a {role} needs a {wanted}-digit jurisdiction code", field="jurisdiction"
        )
    if role is Role.HOTLINE and jurisdiction:
        raise InvalidInput(
            "a hotline call-taker takes calls city-wide: no jurisdiction", field="jurisdiction"
        )
    if role is Role.DEPARTMENT and not jurisdiction:
        raise InvalidInput("department staff need a department code", field="jurisdiction")
    if role is Role.CHIEF and chief_street(jurisdiction) is None:
        raise InvalidInput(
            "a chief needs the chief's ref as jurisdiction (C + street code + -NN, "
            "e.g. C110102020-01)",
            field="jurisdiction",
        )


def chief_in_force(*, session: Session, ref: str) -> bool:
    """Whether the active generation has the street-and-alley chief ``ref``."""
    gen = geography.active_generation(session=session)
    if gen is None:
        return False
    found = session.scalar(
        select(Chief.id).where(
            Chief.ref == ref, Chief.generation_low <= gen, Chief.generation_high >= gen
        )
    )
    return found is not None


def check_password_policy(password: str, *, min_length: int | None = None) -> None:
    """Refuse a password shorter than the policy's minimum (``password_min_length``)."""
    wanted = get_settings().password_min_length if min_length is None else min_length
    if len(password) < wanted:
        raise InvalidInput(
            f"a password needs at least {wanted} characters (this one has {len(password)})",
            field="password",
        )


def create_user(
    *,
    session: Session,
    username: str,
    role: Role,
    jurisdiction: str | None,
    display_name: str = "",
    password: str | None = None,
    actor_id: int | None = None,
    password_min_length: int | None = None,
) -> User:
    """Add a user (unique username, jurisdiction fitting the role, a password long enough)
    and its audit event."""
    check_jurisdiction(role, jurisdiction)
    if password is not None:
        check_password_policy(password, min_length=password_min_length)
    if role is Role.CHIEF and not chief_in_force(session=session, ref=jurisdiction or ""):
        raise InvalidInput(
            f"no street-and-alley chief {jurisdiction} in the active generation",
            field="jurisdiction",
        )
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        role=str(role),
        jurisdiction=jurisdiction,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        kind=AuditKind.USER_CREATED,
        username=username,
        user_id=user.id,
        actor_id=actor_id,
        role=str(role),
        jurisdiction=jurisdiction,
    )
    return user


def set_password(
    *,
    session: Session,
    user: User,
    password: str,
    actor_id: int | None = None,
    password_min_length: int | None = None,
) -> int:
    """Give ``user`` a new password (long enough) and revoke its tokens: how many."""
    check_password_policy(password, min_length=password_min_length)
    user.password_hash = hash_password(password)
    audit.record(
        session=session,
        kind=AuditKind.USER_CHANGED,
        username=user.username,
        user_id=user.id,
        actor_id=actor_id,
        changed=["password"],
    )
    return revoke_tokens(session=session, user=user, actor_id=actor_id, reason="password")


# What makes a token open anything, in one place: its user is active, it is not revoked and
# has not expired. The database's clock decides, so that every worker process and the report
# submission's own SQL (api.reports.store, which selects ``TOKEN_USER`` inside its
# statements) agree.
_TOKEN_OF = (
    "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h AND u.active "
    "AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
)
# The active user of a valid bearer token (``:h``, its hash): ``SELECT <columns> {TOKEN_USER}``.
# The report submission selects them inside its own first statement and its guarded write.
TOKEN_USER = f"{_TOKEN_OF} AND t.scope = '{API_SCOPE}'"
ACTOR_COLUMNS = "u.id, u.role, u.jurisdiction, u.display_name"
# whether a token's expiry is due to be moved on (``:touch`` seconds since the last time)
_DUE = "coalesce(t.last_used_at < now() - make_interval(secs => :touch), true) AS due"
_ACTOR = text(f"SELECT {ACTOR_COLUMNS}, t.id AS token_id, {_DUE} {TOKEN_USER}")
_USER = text(f"SELECT u.id, t.id AS token_id, {_DUE} {_TOKEN_OF} AND t.scope = ANY(:scopes)")


def _touch(*, session: Session, token_id: int, policy: TokenPolicy) -> None:
    """Move a used token's expiry on: ``idle_s`` from now, at most ``max_s`` after it was
    issued (an Open311 key keeps its own)."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(
            last_used_at=func.now(),
            expires_at=case(
                (
                    ApiToken.scope == API_SCOPE,
                    func.least(
                        func.now() + _seconds(policy.idle_s),
                        ApiToken.created_at + _seconds(policy.max_s),
                    ),
                ),
                else_=ApiToken.expires_at,
            ),
        )
    )


@dataclass(frozen=True)
class Holder:
    """Who holds a valid token, and whether using it moved its expiry on (a write the
    caller commits)."""

    actor: Actor
    touched: bool


def token_holder(
    *, session: Session, token: str, policy: TokenPolicy | None = None
) -> Holder | None:
    """The actor of a valid bearer token (one light query); its expiry moved on when the last
    move is ``touch_s`` old."""
    policy = policy or TokenPolicy.of(get_settings())
    row = session.execute(_ACTOR, {"h": token_hash(token), "touch": policy.touch_s}).first()
    if row is None:
        return None
    if row.due:
        _touch(session=session, token_id=row.token_id, policy=policy)
    return Holder(actor=actor_of_row(row[:4]), touched=bool(row.due))


def user_by_token(
    *,
    session: Session,
    token: str,
    scopes: tuple[str, ...] = (API_SCOPE,),
    policy: TokenPolicy | None = None,
) -> User | None:
    """The active user a valid token of one of ``scopes`` belongs to (by default a bearer
    token); its use moves the token's expiry on (flushed, committed with the session)."""
    policy = policy or TokenPolicy.of(get_settings())
    row = session.execute(
        _USER, {"h": token_hash(token), "touch": policy.touch_s, "scopes": list(scopes)}
    ).first()
    if row is None:
        return None
    if row.due:
        _touch(session=session, token_id=row.token_id, policy=policy)
    return session.get(User, row.id)


def actor_of_row(row: Sequence[Any]) -> Actor:
    """The actor of the values of ``ACTOR_COLUMNS``, in that order (a row or a JSON array)."""
    user_id, role, jurisdiction, name = row
    return Actor(id=user_id, role=Role(role), jurisdiction=jurisdiction, name=name)


def actor_by_token(*, session: Session, token: str) -> Actor | None:
    """The policy's view of the active user a valid bearer token belongs to."""
    holder = token_holder(session=session, token=token)
    return None if holder is None else holder.actor


# a stored hash to check a password of an unknown username against: the answer takes as
# long as for a user that exists
_NOBODY = hash_password("", salt=b"\0" * 16)


def login(
    *,
    session: Session,
    username: str,
    password: str,
    address: str,
    now: datetime | None = None,
    policy: LoginPolicy | None = None,
    tokens: TokenPolicy | None = None,
) -> tuple[User, str]:
    """Check a password and issue a new bearer token. Every attempt is an audit event; a
    failure counts against the username and the client ``address`` (commit it before
    answering: ``Unauthorized``); too many recent failures refuse the attempt unchecked
    (``LoginThrottled``)."""
    now = now or datetime.now(UTC)
    policy = policy or LoginPolicy.of(get_settings())
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))

    def event(kind: AuditKind, **data: Any) -> None:
        audit.record(
            session=session,
            kind=kind,
            username=username,
            user_id=None if user is None else user.id,
            address=address,
            at=now,
            **data,
        )

    try:
        throttle.check(session=session, username=username, address=address, now=now, policy=policy)
    except LoginThrottled as exc:
        event(AuditKind.LOGIN_REFUSED, retry_after_s=exc.retry_after_s)
        raise
    if not check_password(password, user.password_hash if user else _NOBODY) or user is None:
        throttle.failed(session=session, username=username, address=address, now=now, policy=policy)
        event(
            AuditKind.LOGIN_FAILED, reason="unknown username" if user is None else "wrong password"
        )
        raise Unauthorized("wrong username or password", field="password")
    throttle.succeeded(session=session, username=username)
    event(AuditKind.LOGIN)
    return user, issue_token(session=session, user=user, label="login", policy=tokens)


def revoke_token(*, session: Session, token: str) -> bool:
    """Revoke one token (logout); whether it was valid."""
    found = session.execute(
        text(f"SELECT t.id, u.id AS user_id, u.username {_TOKEN_OF}"), {"h": token_hash(token)}
    ).first()
    if found is None:
        return False
    session.execute(update(ApiToken).where(ApiToken.id == found.id).values(revoked_at=func.now()))
    audit.record(
        session=session,
        kind=AuditKind.TOKEN_REVOKED,
        username=found.username,
        user_id=found.user_id,
        actor_id=found.user_id,
        tokens=1,
        reason="logout",
    )
    return True


def revoke_tokens(
    *, session: Session, user: User, actor_id: int | None = None, reason: str = "revoke"
) -> int:
    """Revoke every token of ``user`` not yet revoked (bearer tokens and Open311 keys); how
    many."""
    revoked = session.scalars(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiToken.id)
    ).all()
    audit.record(
        session=session,
        kind=AuditKind.TOKEN_REVOKED,
        username=user.username,
        user_id=user.id,
        actor_id=actor_id,
        tokens=len(revoked),
        reason=reason,
    )
    return len(revoked)


def actor_of(user: User) -> Actor:
    """The policy's view of a user."""
    return Actor(
        id=user.id, role=Role(user.role), jurisdiction=user.jurisdiction, name=user.display_name
    )
