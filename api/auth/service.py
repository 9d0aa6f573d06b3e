"""Users, passwords (scrypt) and bearer tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.models import ApiToken, User
from api.auth.roles import Actor, Role, chief_street
from api.errors import Conflict, InvalidInput
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


def issue_token(
    *,
    session: Session,
    user: User,
    label: str = "",
    token: str | None = None,
    scope: str = API_SCOPE,
) -> str:
    """Create a bearer token (or, with ``scope="open311"``, an Open311 api_key) for ``user``
    (random unless given) and store its hash."""
    token = token or secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label, scope=scope))
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


def create_user(
    *,
    session: Session,
    username: str,
    role: Role,
    jurisdiction: str | None,
    display_name: str = "",
    password: str | None = None,
) -> User:
    """Add a user (unique username, jurisdiction fitting the role)."""
    check_jurisdiction(role, jurisdiction)
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
    return user


def user_by_token(
    *, session: Session, token: str, scopes: tuple[str, ...] = (API_SCOPE,)
) -> User | None:
    """The active user a token of one of ``scopes`` belongs to (by default a bearer token)."""
    row = session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash(token),
            ApiToken.scope.in_(scopes),
            User.active.is_(True),
        )
    )
    return row


# The active user of a bearer token (``:h``, its hash): ``SELECT <columns> {TOKEN_USER}``.
# The report submission selects them inside its own first statement.
TOKEN_USER = (
    "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h "
    f"AND t.scope = '{API_SCOPE}' AND u.active"
)
ACTOR_COLUMNS = "u.id, u.role, u.jurisdiction, u.display_name"
_ACTOR = text(f"SELECT {ACTOR_COLUMNS} {TOKEN_USER}")


def actor_of_row(row: Sequence[Any]) -> Actor:
    """The actor of the values of ``ACTOR_COLUMNS``, in that order (a row or a JSON array)."""
    user_id, role, jurisdiction, name = row
    return Actor(id=user_id, role=Role(role), jurisdiction=jurisdiction, name=name)


def actor_by_token(*, session: Session, token: str) -> Actor | None:
    """The policy's view of the active user a bearer token belongs to (one light query)."""
    row = session.execute(_ACTOR, {"h": token_hash(token)}).first()
    return None if row is None else actor_of_row(row)


def login(*, session: Session, username: str, password: str) -> tuple[User, str] | None:
    """Check a password and issue a new token; None when they do not match."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or not check_password(password, user.password_hash):
        return None
    return user, issue_token(session=session, user=user, label="login")


def actor_of(user: User) -> Actor:
    """The policy's view of a user."""
    return Actor(
        id=user.id, role=Role(user.role), jurisdiction=user.jurisdiction, name=user.display_name
    )
