"""Sign-in throttling: failures counted in the store per (name, address) and per address."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import gridhub.api.users
from gridhub.api.app import create_app
from gridhub.api.models import SigninAttempt
from gridhub.api.signin_throttle import SigninLimits, Throttled, begin_attempt, succeeded
from gridhub.cli import server_options
from gridhub.config import load_settings
from gridhub.db import make_engine, make_session_factory, transaction
from gridhub.hub import Hub
from tests.support.factories import TEST_PASSWORD, make_user
from tests.support.services import free_port

TOKEN_PATH = "/api/v1/auth/token"
ATTACKER = ("203.0.113.5", 50000)
DESK = ("198.51.100.7", 50000)


@contextmanager
def client_from(hub: Hub, address: tuple[str, int]) -> Iterator[TestClient]:
    """A client whose requests come from ``address`` (the ASGI client the hub sees)."""
    with TestClient(create_app(hub, manage_services=False), client=address) as client:
        yield client


def sign_in(client: TestClient, password: str, username: str = "zhang"):
    return client.post(TOKEN_PATH, data={"username": username, "password": password})


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password the sign-in checks with argon2 (the real check still runs)."""
    checked: list[str] = []
    verify = gridhub.api.users.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(gridhub.api.users, "verify_password", counting)
    return checked


def test_ten_wrong_passwords_then_429_without_hashing_and_the_desk_still_signs_in(
    hub, sessions, hashes
):
    with transaction(sessions) as session:
        make_user(session, "zhang")
    with client_from(hub, ATTACKER) as attacker:
        answers = [sign_in(attacker, f"guess-{n:03}") for n in range(200)]
        codes = [answer.status_code for answer in answers]
        assert codes.index(429) == 10  # the 11th try
        assert codes == [401] * 10 + [429] * 190
        retry_after = int(answers[10].headers["retry-after"])
        assert 0 < retry_after <= 5 * 60
        assert "too many failed sign-ins" in answers[10].json()["detail"]
        assert len(hashes) == 10  # the 190 refused tries cost no argon2 hash

        refused = sign_in(attacker, TEST_PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert len(hashes) == 10

    with client_from(hub, DESK) as desk:
        answer = sign_in(desk, TEST_PASSWORD)
        assert answer.status_code == 200
        token = answer.json()["access_token"]
        me = desk.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "zhang"


def test_two_hubs_on_one_store_share_the_count(settings, database_url, sessions, hashes):
    with transaction(sessions) as session:
        make_user(session, "zhang")
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        hubs = [Hub(settings, engine, make_session_factory(engine)) for engine in engines]
        with client_from(hubs[0], ATTACKER) as first, client_from(hubs[1], ATTACKER) as second:
            codes = [sign_in((first, second)[n % 2], f"guess-{n}").status_code for n in range(10)]
            assert codes == [401] * 10
            assert sign_in(first, "guess-10").status_code == 429
            assert sign_in(second, TEST_PASSWORD).status_code == 429
    finally:
        for engine in engines:
            engine.dispose()
    assert len(hashes) == 10


def hub_limited(database_url, tmp_path, engine, **api: Any) -> Hub:
    """A hub with these api settings (lower limits: fewer hashes to wait for)."""
    settings = load_settings(database_url=database_url, data_dir=tmp_path, api=api)
    return Hub(settings, engine, make_session_factory(engine))


def test_a_right_password_clears_that_names_failures(database_url, tmp_path, engine, sessions):
    with transaction(sessions) as session:
        make_user(session, "zhang")
    hub = hub_limited(database_url, tmp_path, engine, signin_max_failures=3)
    with client_from(hub, DESK) as desk:
        assert [sign_in(desk, f"typo-{n}").status_code for n in range(2)] == [401] * 2
        assert sign_in(desk, TEST_PASSWORD).status_code == 200
        codes = [sign_in(desk, f"typo-again-{n}").status_code for n in range(4)]
        assert codes == [401] * 3 + [429]


def test_one_address_trying_many_names_is_throttled_per_address(database_url, tmp_path, engine):
    hub = hub_limited(database_url, tmp_path, engine, signin_max_failures_per_address=4)
    with client_from(hub, ATTACKER) as attacker:
        codes = [sign_in(attacker, "guess", username=f"user{n}").status_code for n in range(6)]
        assert codes == [401] * 4 + [429] * 2
    with client_from(hub, DESK) as desk:
        assert sign_in(desk, "guess", username="user0").status_code == 401


@contextmanager
def served(hub: Hub) -> Iterator[str]:
    """The hub's API served by uvicorn with the options ``gridhub serve`` uses."""
    port = free_port()
    options = server_options(hub.settings, "127.0.0.1", port)
    app = create_app(hub, manage_services=False)
    server = uvicorn.Server(uvicorn.Config(app, **options, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("proxies", "desk_answer"),
    [(("127.0.0.1",), 200), ((), 429)],
    ids=["local-proxy-trusted", "no-proxy-trusted"],
)
def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    database_url, tmp_path, engine, sessions, proxies, desk_answer
):
    with transaction(sessions) as session:
        make_user(session, "zhang")
    hub = hub_limited(
        database_url, tmp_path, engine, signin_max_failures=2, forwarded_allow_ips=proxies
    )

    def via_proxy(client: httpx.Client, forwarded_for: str, password: str) -> int:
        form = {"username": "zhang", "password": password}
        headers = {"X-Forwarded-For": forwarded_for}  # as nginx sets it
        return client.post(TOKEN_PATH, data=form, headers=headers).status_code

    with served(hub) as url, httpx.Client(base_url=url, timeout=30) as client:
        codes = [via_proxy(client, ATTACKER[0], f"guess-{n}") for n in range(3)]
        assert codes == [401, 401, 429]
        # untrusted, the header is ignored: every try counts as the proxy's own address
        assert via_proxy(client, DESK[0], TEST_PASSWORD) == desk_answer


LIMITS = SigninLimits(per_name=3, per_address=5, window=timedelta(minutes=5))
T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def fail(sessions, username: str, address: str, at: datetime) -> None:
    """One attempt at ``at`` whose password turns out wrong."""
    with sessions() as session:  # begin_attempt commits the try itself
        begin_attempt(session, LIMITS, username, address, at)


def test_the_window_slides_and_retry_after_says_when_the_next_try_counts(sessions):
    for seconds in (0, 60, 120):
        fail(sessions, "zhang", "203.0.113.5", T0 + timedelta(seconds=seconds))
    with sessions() as session, pytest.raises(Throttled) as throttled:
        begin_attempt(session, LIMITS, "zhang", "203.0.113.5", T0 + timedelta(seconds=150))
    # the oldest failure (at T0) leaves the window at T0 + 300 s: 150 s from then
    assert throttled.value.retry_after_s == 150
    fail(sessions, "zhang", "203.0.113.5", T0 + timedelta(seconds=301))
    with sessions() as session, pytest.raises(Throttled) as throttled:
        begin_attempt(session, LIMITS, "zhang", "203.0.113.5", T0 + timedelta(seconds=302))
    assert throttled.value.retry_after_s == 60 + 300 - 302


def test_old_failures_are_pruned_and_a_refused_try_is_not_counted(sessions):
    for seconds in range(3):
        fail(sessions, "zhang", "203.0.113.5", T0 + timedelta(seconds=seconds))
    for _ in range(5):
        with sessions() as session, pytest.raises(Throttled):
            begin_attempt(session, LIMITS, "zhang", "203.0.113.5", T0 + timedelta(seconds=10))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SigninAttempt)) == 3
    fail(sessions, "li", "198.51.100.7", T0 + timedelta(minutes=6))
    with sessions() as session:
        rows = session.execute(select(SigninAttempt.username, SigninAttempt.address)).all()
    assert rows == [("li", "198.51.100.7")]


def test_success_forgets_only_that_names_failures_from_that_address(sessions):
    fail(sessions, "zhang", "203.0.113.5", T0)
    fail(sessions, "zhang", "198.51.100.7", T0)
    fail(sessions, "li", "203.0.113.5", T0)
    with sessions() as session:
        succeeded(session, begin_attempt(session, LIMITS, "zhang", "203.0.113.5", T0))
        session.commit()
    with sessions() as session:
        left = set(session.execute(select(SigninAttempt.username, SigninAttempt.address)))
    assert left == {("zhang", "198.51.100.7"), ("li", "203.0.113.5")}
