"""Disabling a user, a new password or a new role ends every sign-in token issued before."""

import jwt
import pytest

from gridhub.api.security import JWT_ALGORITHM, JWT_AUDIENCE
from gridhub.api.users import set_active, set_password, set_role
from gridhub.db import transaction, utcnow
from tests.support.factories import TEST_PASSWORD, make_api_token, make_user

NEW_PASSWORD = "a new long password"


def sign_in(client, password: str = TEST_PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": "zhang", "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def me(client, header: dict[str, str]):
    return client.get("/api/v1/auth/me", headers=header)


@pytest.fixture
def zhang(sessions) -> None:
    with transaction(sessions) as session:
        make_user(session, "zhang", role="dispatcher")


def test_a_token_from_before_a_disable_stays_dead_after_enable(client, sessions, zhang):
    old = sign_in(client)
    assert me(client, old).status_code == 200
    with transaction(sessions) as session:
        set_active(session, "zhang", False)
    assert me(client, old).status_code == 401
    with transaction(sessions) as session:
        set_active(session, "zhang", True)
    refused = me(client, old)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert me(client, sign_in(client)).status_code == 200


def test_a_new_password_ends_the_tokens_signed_in_with_the_old(client, sessions, zhang):
    old = sign_in(client)
    with transaction(sessions) as session:
        set_password(session, "zhang", NEW_PASSWORD)
    assert me(client, old).status_code == 401
    form = {"username": "zhang", "password": TEST_PASSWORD}
    assert client.post("/api/v1/auth/token", data=form).status_code == 401
    assert me(client, sign_in(client, NEW_PASSWORD)).status_code == 200


def test_a_new_role_ends_the_tokens_of_the_old_role(client, sessions, zhang):
    old = sign_in(client)
    with transaction(sessions) as session:
        set_role(session, "zhang", "viewer")
    assert me(client, old).status_code == 401
    fresh = me(client, sign_in(client))
    assert fresh.status_code == 200 and fresh.json()["role"] == "viewer"


def test_setting_the_same_role_or_state_again_ends_nothing(client, sessions, zhang):
    header = sign_in(client)
    with transaction(sessions) as session:
        set_role(session, "zhang", "dispatcher")
        set_active(session, "zhang", True)
    assert me(client, header).status_code == 200


def test_bad_changes_are_refused_and_change_nothing(client, sessions, zhang):
    header = sign_in(client)
    with transaction(sessions) as session:
        with pytest.raises(ValueError, match="unknown role 'boss'"):
            set_role(session, "zhang", "boss")
        with pytest.raises(ValueError, match="password too short"):
            set_password(session, "zhang", "short")
        with pytest.raises(ValueError, match="no user 'li'"):
            set_password(session, "li", NEW_PASSWORD)
    assert me(client, header).json()["role"] == "dispatcher"
    assert me(client, sign_in(client)).status_code == 200


def test_re_enabling_a_user_revives_none_of_their_api_tokens(client, sessions):
    with transaction(sessions) as session:
        user = make_user(session, "frigate-bridge", role="viewer")
        _, live = make_api_token(session, user, "frigate")
        revoked_row, revoked = make_api_token(session, user, "old bridge")
        revoked_row.revoked = True
    live_header = {"Authorization": f"Bearer {live}"}
    assert me(client, live_header).status_code == 200
    assert me(client, {"Authorization": f"Bearer {revoked}"}).status_code == 401
    with transaction(sessions) as session:
        set_active(session, "frigate-bridge", False)
    with transaction(sessions) as session:
        set_active(session, "frigate-bridge", True)
    assert me(client, live_header).status_code == 401
    assert me(client, {"Authorization": f"Bearer {revoked}"}).status_code == 401


def test_a_token_without_a_version_is_refused(client, sessions, settings, zhang):
    """Tokens signed before versions existed carry none: they are not honoured."""
    header = sign_in(client)
    claims = jwt.decode(
        header["Authorization"].removeprefix("Bearer "),
        settings.secret(),
        algorithms=[JWT_ALGORITHM],
        audience=JWT_AUDIENCE,
    )
    del claims["ver"]
    now = int(utcnow().timestamp())
    claims.update(iat=now, exp=now + 3600)
    unversioned = jwt.encode(claims, settings.secret(), algorithm=JWT_ALGORITHM)
    refused = me(client, {"Authorization": f"Bearer {unversioned}"})
    assert refused.status_code == 401 and "ver" in refused.json()["detail"]
