"""Security headers on every response the hub serves: pages, static files, docs, the API
(errors and the live event stream included), as a browser would receive them."""

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gridhub.api.app import create_app
from gridhub.api.headers import TileSourceError
from gridhub.config import load_settings
from gridhub.hub import Hub

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "worker-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {name: sources for name, *sources in directives}


def assert_protected(response: httpx.Response) -> None:
    what = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert response.headers.get("x-content-type-options") == "nosniff", what
    assert response.headers.get("x-frame-options") == "DENY", what
    assert response.headers.get("referrer-policy") == "no-referrer", what
    csp = policy(response)
    assert csp["default-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"], what
    assert not [s for sources in csp.values() for s in sources if s.startswith("'unsafe-")], what


def test_every_kind_of_response_carries_the_headers(demo_hub) -> None:
    base, password = demo_hub
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/token", data={"username": "admin", "password": password})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        responses = [
            token,
            http.get("/"),
            http.get("/static/js/main.js"),
            http.get("/static/vendor/leaflet/leaflet.css"),
            http.get("/static/vendor/leaflet/images/layers.png"),
            http.get("/static/nothing-here.js"),
            http.get("/docs"),
            http.get("/redoc"),
            http.get("/openapi.json"),
            http.get("/healthz"),
            http.get("/api/v1/grids", headers=bearer),
            http.get("/api/v1/grids/NO-SUCH-GRID", headers=bearer),
            http.get("/api/v1/grids"),
            http.post("/api/v1/auth/token", data={"username": "admin"}),
            http.post("/api/v1/auth/token", data={"username": "admin", "password": "wrong"}),
            http.request("HEAD", "/"),
        ]
        with http.stream("GET", "/api/v1/events", headers=bearer) as stream:
            responses.append(stream)
    assert [r.status_code for r in responses] == [
        200, 200, 200, 200, 200, 404, 200, 200, 200, 200, 200, 404, 401, 422, 401, 405, 200,
    ]  # fmt: skip
    assert responses[-1].headers["content-type"].startswith("text/event-stream")
    for response in responses:
        assert_protected(response)
    # The dashboard and the API: the hub's own files only, nothing inline.
    assert policy(responses[1]) == policy(responses[10]) == POLICY


def test_the_docs_pages_allow_only_their_own_inline_code(client) -> None:
    swagger = client.get("/docs")
    script_sources = policy(swagger)["script-src"]
    assert script_sources[0] == "'self'" and len(script_sources) == 2
    assert script_sources[1].startswith("'sha256-")  # FastAPI's set-up script, by its hash
    first, second = client.get("/redoc"), client.get("/redoc")
    nonces = [
        re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]) for r in (first, second)
    ]
    assert nonces[0] and nonces[1] and nonces[0][1] != nonces[1][1]  # a fresh nonce each time
    assert f'nonce="{nonces[0][1]}"' in first.text
    for response in (swagger, first):
        assert_protected(response)


@pytest.mark.parametrize(
    ("tile_url", "allowed"),
    [
        ("", []),
        ("/tiles/{z}/{x}/{y}.png", []),  # served by the hub itself: 'self'
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", ["http://127.0.0.1:8080"]),
        (
            "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY",
            ["https://*.tianditu.gov.cn"],
        ),
    ],
)
def test_the_configured_tile_host_may_serve_images(
    database_url, engine, sessions, tmp_path: Path, tile_url: str, allowed: list[str]
) -> None:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, dashboard={"tile_url": tile_url}
    )
    app = create_app(Hub(settings=settings, engine=engine, sessions=sessions), False)
    with TestClient(app) as client:
        for response in (client.get("/"), client.get("/api/v1/map")):
            assert policy(response)["img-src"] == ["'self'", "data:", "blob:", *allowed]


@pytest.mark.parametrize(
    "tile_url", ["http://user:secret@tiles.example/{z}/{x}/{y}.png", "http://a;script-src *"]
)
def test_a_tile_url_the_policy_cannot_name_is_refused_clearly(
    database_url, engine, sessions, tmp_path: Path, tile_url: str
) -> None:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, dashboard={"tile_url": tile_url}
    )
    with pytest.raises(TileSourceError, match=r"dashboard\.tile_url .* cannot be allowed"):
        create_app(Hub(settings=settings, engine=engine, sessions=sessions), False)


def test_an_unexpected_error_is_answered_with_the_headers_too(client) -> None:
    @client.app.get("/api/v1/test-only/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    response = TestClient(client.app, raise_server_exceptions=False).get("/api/v1/test-only/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert_protected(response)
