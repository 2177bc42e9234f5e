"""Users and API tokens: create, sign in, look up by token, revoke. The caller commits.

A user's sign-in tokens carry the user's ``token_version``; disabling the user, a new
password or a new role raises it, which ends every sign-in token issued before."""

import re
from datetime import datetime
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from gridhub.api.models import USER_ROLES, ApiToken, User
from gridhub.api.security import (
    MIN_PASSWORD_LENGTH,
    AccessClaims,
    hash_password,
    needs_rehash,
    new_api_token,
    token_digest,
    verify_password,
)
from gridhub.api.signin_throttle import SigninLimits, begin_attempt, succeeded
from gridhub.db import utcnow
from gridhub.geo.models import Member, Region

_USERNAME = re.compile(r"^[^\s/]{1,64}$")


class UserError(ValueError):
    """A user or token request that cannot be carried out; the message says why."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    scope: str | None = None,
    member_code: str | None = None,
) -> User:
    """A new active user; UserError for a taken name, short password, unknown role,
    scope region or member."""
    if not _USERNAME.match(username):
        raise UserError(f"username {username!r}: 1–64 characters, no spaces or '/'")
    check_role(role)
    check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    if scope is not None and session.scalar(select(Region.id).where(Region.code == scope)) is None:
        raise UserError(f"scope {scope!r} is not a known region code")
    member_id = None
    if member_code is not None:
        member_id = session.scalar(select(Member.id).where(Member.code == member_code))
        if member_id is None:
            raise UserError(f"member {member_code!r} does not exist")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        scope=scope,
        member_id=member_id,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def linked_member(session: Session, user: User) -> Member | None:
    """The member ``user`` is (``users add --member``), if any."""
    return None if user.member_id is None else session.get(Member, user.member_id)


def check_role(role: str) -> None:
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r} (expected one of {', '.join(USER_ROLES)})")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise UserError("password must not be blank")


def sign_in(
    session: Session,
    limits: SigninLimits,
    username: str,
    password: str,
    address: str,
    now: datetime,
) -> User | None:
    """``authenticate``, unless too many failures came before (Throttled, and no password
    hash is computed). Commits, so that every hub process counts this try."""
    attempt = begin_attempt(session, limits, username, address, now)
    user = authenticate(session, username, password)
    if user is not None:
        succeeded(session, attempt)
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@cache
def _dummy_hash() -> str:
    """Verified when the user is unknown, so a wrong name takes as long as a wrong password."""
    return hash_password("not the password of anyone")


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"no user {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_active(session: Session, username: str, active: bool) -> User:
    """Enable or disable a user. Disabling ends their sign-in tokens and revokes their API
    tokens, so enabling them again gives back the password and nothing else."""
    user = get_user(session, username)
    if user.active != active:
        user.active = active
        _end_sign_ins(user)
    if not active:
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """A new password; every sign-in token issued with the old one ends."""
    check_password(password)
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    _end_sign_ins(user)
    return user


def set_role(session: Session, username: str, role: str) -> User:
    """A new role; every sign-in token issued under the old one ends."""
    check_role(role)
    user = get_user(session, username)
    if user.role != role:
        user.role = role
        _end_sign_ins(user)
    return user


def _end_sign_ins(user: User) -> None:
    # In SQL, so that two changes at once both count.
    user.token_version = User.token_version + 1


def acting_as(session: Session, user: User) -> str:
    """Who ``user``'s actions are recorded as: the roster member linked to the user (so an
    acknowledgement names the same member as one from their device), else the user name."""
    if user.member_id is not None:
        code = session.scalar(select(Member.code).where(Member.id == user.member_id))
        if code is not None:
            return code
    return user.username


def access_claims(user: User) -> AccessClaims:
    """What a sign-in token issued to ``user`` now carries."""
    return AccessClaims(user_id=user.id, token_version=user.token_version)


def create_api_token(session: Session, username: str, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``username``: the row, and the token itself (shown only once)."""
    if not name.strip():
        raise UserError("a token needs a name saying what uses it")
    user = get_user(session, username)
    secret = new_api_token()
    token = ApiToken(name=name.strip(), user=user, token_hash=token_digest(secret), revoked=False)
    session.add(token)
    session.flush()
    return token, secret


def revoke_api_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UserError(f"no API token with id {token_id}")
    token.revoked = True
    return token


def list_api_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def user_for_api_token(
    session: Session, secret: str, now: datetime | None = None, min_interval_s: float = 0
) -> User | None:
    """The active user an unrevoked API token acts as, or None. Records the token's use
    unless it was recorded less than ``min_interval_s`` ago."""
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == token_digest(secret))
        .options(joinedload(ApiToken.user))  # every request asks: one query, not two
    )
    if token is None or token.revoked or not token.user.active:
        return None
    now = now or utcnow()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= min_interval_s:
        token.last_used_at = now
    return token.user


def active_user(session: Session, claims: AccessClaims) -> User | None:
    """The active user a sign-in token was issued to, or None if it has since been ended."""
    user = session.get(User, claims.user_id)
    if user is None or not user.active or user.token_version != claims.token_version:
        return None
    return user
