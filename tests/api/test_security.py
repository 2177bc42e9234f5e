"""Passwords are argon2-hashed; sign-in tokens are signed, expire and name their user."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gridhub.api.security import (
    AccessClaims,
    InvalidToken,
    create_access_token,
    decode_access_token,
    hash_password,
    is_api_token,
    new_api_token,
    token_digest,
    verify_password,
)
from gridhub.config import load_settings


def test_passwords_are_argon2_hashed_salted_and_verified():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("$argon2id$") and "s3cret-pass" not in first
    assert first != second  # salted
    assert verify_password(first, "s3cret-pass")
    assert not verify_password(first, "s3cret-pasS")
    assert not verify_password("not a hash", "s3cret-pass")


def test_access_token_round_trip_expiry_and_forgery(tmp_path):
    settings = load_settings(data_dir=tmp_path, secret_key="k" * 32)
    now = datetime.now(UTC)
    claims = AccessClaims(user_id=42, token_version=3)
    token, ttl = create_access_token(settings, claims, now)
    assert ttl == settings.api.token_ttl_minutes * 60
    assert decode_access_token(settings, token) == claims
    expired, _ = create_access_token(settings, claims, now - timedelta(seconds=ttl + 5))
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(settings, expired)
    other = load_settings(data_dir=tmp_path, secret_key="x" * 32)
    with pytest.raises(InvalidToken, match="Signature"):
        decode_access_token(other, token)
    unsigned = jwt.encode(
        {"sub": "42", "ver": 3, "aud": "gridhub-api", "exp": now + timedelta(hours=1)},
        key=None,
        algorithm="none",
    )
    with pytest.raises(InvalidToken):
        decode_access_token(settings, unsigned)


def test_api_tokens_are_random_prefixed_and_stored_as_digests():
    token = new_api_token()
    assert is_api_token(token) and len(token) > 40
    assert token != new_api_token()
    assert token_digest(token) == token_digest(token) and len(token_digest(token)) == 64
    assert token not in token_digest(token)
