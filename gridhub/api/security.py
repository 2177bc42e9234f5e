"""Password hashing (argon2), signed sign-in tokens (JWT) and opaque API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gridhub.config import Settings

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "gridhub-api"
API_TOKEN_PREFIX = "ghp_"
MIN_PASSWORD_LENGTH = 8

# argon2-cffi's defaults follow RFC 9106's low-memory profile; one instance is reentrant.
_hasher = PasswordHasher()


class InvalidToken(Exception):
    """A bearer token that is malformed, forged or expired."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True)
class AccessClaims:
    """Whom a sign-in token was issued to, and that user's token version at the time."""

    user_id: int
    token_version: int


def create_access_token(settings: Settings, claims: AccessClaims, now: datetime) -> tuple[str, int]:
    """A signed token carrying ``claims``, and its lifetime in seconds."""
    ttl = timedelta(minutes=settings.api.token_ttl_minutes)
    payload = {
        "sub": str(claims.user_id),
        "ver": claims.token_version,
        "aud": JWT_AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(payload, settings.secret(), algorithm=JWT_ALGORITHM), int(ttl.total_seconds())


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid, unexpired token; InvalidToken otherwise."""
    try:
        payload = jwt.decode(
            token,
            settings.secret(),
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            options={"require": ["sub", "ver", "exp", "aud"]},
        )
        return AccessClaims(user_id=int(payload["sub"]), token_version=int(payload["ver"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from None


def new_api_token() -> str:
    """A fresh opaque API token; shown once, only its digest is stored."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)


def token_digest(token: str) -> str:
    """SHA-256 of an API token: tokens are long and random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()
