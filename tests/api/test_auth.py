"""Sign-in: the token endpoint, bearer and API tokens, and 401 on every endpoint without one."""

import re

import pytest
from fastapi import Depends

from gridhub.api.deps import require_roles
from gridhub.api.users import create_user
from gridhub.db import transaction
from tests.support.factories import (
    TEST_PASSWORD,
    auth_header,
    make_api_token,
    make_grid_tree,
    make_user,
)

TOKEN_PATH = "/api/v1/auth/token"


def sign_in(client, username: str, password: str):
    return client.post(TOKEN_PATH, data={"username": username, "password": password})


def test_token_endpoint_gives_a_bearer_token_for_the_right_password(client, sessions):
    with transaction(sessions) as session:
        make_grid_tree(session)
        create_user(session, "zhang", "a-long-password", "dispatcher", scope="T1")
    response = sign_in(client, "zhang", "a-long-password")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 60 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"username": "zhang", "role": "dispatcher", "scope": "T1"}


@pytest.mark.parametrize(
    ("username", "password"), [("zhang", "wrong-password"), ("li", TEST_PASSWORD)]
)
def test_token_endpoint_refuses_a_wrong_password_or_unknown_user(
    client, sessions, username, password
):
    with transaction(sessions) as session:
        make_user(session, "zhang")
    response = sign_in(client, username, password)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "access_token" not in response.json()


def test_a_disabled_user_cannot_sign_in_and_their_tokens_stop_working(client, sessions, settings):
    with transaction(sessions) as session:
        user = make_user(session, "zhang")
        header = auth_header(settings, user)
        _, api_token = make_api_token(session, user)
    assert client.get("/api/v1/auth/me", headers=header).status_code == 200
    with transaction(sessions) as session:
        session.merge(user).active = False
    assert sign_in(client, "zhang", TEST_PASSWORD).status_code == 401
    assert client.get("/api/v1/auth/me", headers=header).status_code == 401
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_api_token_works_until_revoked(client, sessions):
    with transaction(sessions) as session:
        user = make_user(session, "frigate-bridge", role="viewer")
        token, secret = make_api_token(session, user, "frigate")
    header = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/v1/auth/me", headers=header)
    assert response.status_code == 200 and response.json()["username"] == "frigate-bridge"
    with sessions() as session:
        assert session.merge(token).last_used_at is not None
    with transaction(sessions) as session:
        session.merge(token).revoked = True
    response = client.get("/api/v1/auth/me", headers=header)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def api_routes(client) -> list[tuple[str, str]]:
    """Every documented /api/v1 operation, path parameters filled in."""
    routes = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if path.startswith("/api/v1"):
            filled = re.sub(r"\{[^}]+\}", "X1", path)
            routes.extend((method.upper(), filled) for method in operations)
    return routes


PUBLIC_PATHS = {TOKEN_PATH, "/api/v1/i18n", "/api/v1/i18n/X1"}
"""Sign-in, and the words of the sign-in page."""


@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-a-token", "Bearer ghp_unknownunknownunknown", "Basic emhhbmc6cHc="],
)
def test_every_api_endpoint_but_sign_in_needs_a_token(client, header):
    routes = api_routes(client)
    assert ("GET", "/api/v1/grids") in routes and ("GET", "/api/v1/members/X1") in routes
    headers = {} if header is None else {"Authorization": header}
    for method, path in routes:
        if path in PUBLIC_PATHS:
            continue
        response = client.request(method, path, headers=headers, params={"lon": 1, "lat": 1})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


def test_openapi_docs_are_served_and_describe_the_sign_in(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert TOKEN_PATH in schema["paths"]
    assert "/api/v1/grids/{code}" in schema["paths"]
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == TOKEN_PATH


def test_require_roles_lets_admins_and_named_roles_through(client, sessions, settings):
    @client.app.get(
        "/api/v1/test-only/dispatch", dependencies=[Depends(require_roles("dispatcher"))]
    )
    def dispatch() -> dict[str, bool]:
        return {"ok": True}

    with transaction(sessions) as session:
        headers = {
            role: auth_header(settings, make_user(session, role, role=role))
            for role in ("admin", "dispatcher", "viewer")
        }
    assert client.get("/api/v1/test-only/dispatch", headers=headers["admin"]).status_code == 200
    assert (
        client.get("/api/v1/test-only/dispatch", headers=headers["dispatcher"]).status_code == 200
    )
    refused = client.get("/api/v1/test-only/dispatch", headers=headers["viewer"])
    assert refused.status_code == 403 and "role 'viewer' may not" in refused.json()["detail"]
    with pytest.raises(ValueError, match="unknown role"):
        require_roles("wizard")
