"""``gridhub users …`` and ``gridhub tokens …`` through typer's runner."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gridhub.api.models import ApiToken, User
from gridhub.api.security import verify_password
from gridhub.cli import app
from gridhub.db import transaction
from tests.support.factories import make_grid_tree, make_member

runner = CliRunner()


def run(database_url, tmp_path, *args, input=None):
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, list(args), env=env, input=input)


@pytest.fixture
def tree(sessions):
    with transaction(sessions) as session:
        make_grid_tree(session)
        make_member(session, "W11", "grid_worker", ["G11"])


def test_users_add_reads_the_password_from_stdin(database_url, sessions, tmp_path, tree):
    result = run(
        database_url,
        tmp_path,
        "users",
        "add",
        "wang",
        "--role",
        "grid_worker",
        "--scope",
        "V1",
        "--member",
        "W11",
        input="s3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "user wang added (grid_worker, scope V1)" in result.stdout
    with sessions() as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.role, user.scope, user.active) == (
            "wang",
            "grid_worker",
            "V1",
            True,
        )
        assert user.member_id is not None
        assert verify_password(user.password_hash, "s3cret-pass")
        assert "s3cret-pass" not in user.password_hash
    listed = run(database_url, tmp_path, "users", "list")
    assert listed.stdout == "wang\tgrid_worker\tV1\tactive\n"


@pytest.mark.parametrize(
    ("args", "password", "reason"),
    [
        (("--role", "viewer"), "\n", "password too short"),
        (("--role", "viewer"), "short\n", "password too short: at least 8 characters"),
        (("--role", "viewer"), "", "password too short"),
        (("--role", "boss"), "s3cret-pass\n", "unknown role 'boss'"),
        (("--role", "viewer", "--scope", "V404"), "s3cret-pass\n", "scope 'V404' is not a known"),
        (("--role", "viewer", "--member", "M404"), "s3cret-pass\n", "member 'M404' does not exist"),
    ],
)
def test_users_add_refuses_bad_input(
    database_url, sessions, tmp_path, tree, args, password, reason
):
    result = run(database_url, tmp_path, "users", "add", "wang", *args, input=password)
    assert result.exit_code == 2
    assert reason in result.stderr
    with sessions() as session:
        assert session.scalars(select(User)).all() == []


def test_users_add_refuses_a_taken_name(database_url, tmp_path, tree):
    first = run(
        database_url, tmp_path, "users", "add", "wang", "--role", "viewer", input="s3cret-pass\n"
    )
    assert first.exit_code == 0, first.output
    again = run(
        database_url, tmp_path, "users", "add", "wang", "--role", "admin", input="other-pass\n"
    )
    assert again.exit_code == 2 and "user 'wang' already exists" in again.stderr


def test_token_create_prints_it_once_and_it_signs_in_until_revoked(
    database_url, sessions, tmp_path, tree, hub
):
    from gridhub.api.app import create_app

    run(database_url, tmp_path, "users", "add", "bridge", "--role", "viewer", input="s3cret-pass\n")
    created = run(database_url, tmp_path, "tokens", "create", "frigate", "--user", "bridge")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("ghp_") and "shown only this once" in created.stderr
    with sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash != secret and secret not in stored.token_hash
    listed = run(database_url, tmp_path, "tokens", "list")
    assert listed.stdout.startswith(f"{stored.id}\tfrigate\tbridge\tactive\tnever used")
    assert secret not in listed.stdout
    with TestClient(create_app(hub, manage_services=False)) as client:
        header = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/grids", headers=header).status_code == 200
        revoked = run(database_url, tmp_path, "tokens", "revoke", str(stored.id))
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/api/v1/grids", headers=header).status_code == 401
    missing = run(database_url, tmp_path, "tokens", "create", "x", "--user", "nobody")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.stderr


def _signed_in(client, password="s3cret-pass"):
    answer = client.post("/api/v1/auth/token", data={"username": "wang", "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize(
    ("change", "stdin", "said"),
    [
        (("passwd", "wang"), "a-new-password\n", "password of wang changed"),
        (("role", "wang", "viewer"), None, "role of wang is now viewer"),
        (("disable", "wang"), None, "user wang disabled"),
    ],
)
def test_users_passwd_role_and_disable_end_the_sign_ins_before(
    database_url, tmp_path, tree, client, change, stdin, said
):
    run(database_url, tmp_path, "users", "add", "wang", "--role", "operator", input="s3cret-pass\n")
    header = _signed_in(client)
    assert client.get("/api/v1/auth/me", headers=header).status_code == 200
    result = run(database_url, tmp_path, "users", *change, input=stdin)
    assert result.exit_code == 0, result.output
    assert said in result.stdout
    assert client.get("/api/v1/auth/me", headers=header).status_code == 401
    enabled = run(database_url, tmp_path, "users", "enable", "wang")
    assert enabled.exit_code == 0, enabled.output
    assert client.get("/api/v1/auth/me", headers=header).status_code == 401
    password = "a-new-password" if change[0] == "passwd" else "s3cret-pass"
    me = client.get("/api/v1/auth/me", headers=_signed_in(client, password)).json()
    assert me["role"] == ("viewer" if change[0] == "role" else "operator")


@pytest.mark.parametrize(
    ("change", "stdin", "reason"),
    [
        (("passwd", "wang"), "short\n", "password too short: at least 8 characters"),
        (("passwd", "wang"), "", "password too short"),
        (("passwd", "li"), "a-new-password\n", "no user 'li'"),
        (("role", "wang", "boss"), None, "unknown role 'boss'"),
        (("role", "li", "viewer"), None, "no user 'li'"),
    ],
)
def test_users_passwd_and_role_refuse_bad_input_and_change_nothing(
    database_url, tmp_path, tree, client, change, stdin, reason
):
    run(database_url, tmp_path, "users", "add", "wang", "--role", "operator", input="s3cret-pass\n")
    header = _signed_in(client)
    result = run(database_url, tmp_path, "users", *change, input=stdin)
    assert result.exit_code == 2
    assert reason in result.stderr
    me = client.get("/api/v1/auth/me", headers=header)
    assert me.status_code == 200 and me.json()["role"] == "operator"
    _signed_in(client)  # the old password still works
