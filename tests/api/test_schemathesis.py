"""A bounded schemathesis run over the whole OpenAPI schema, as an admin and as a viewer.

Every operation gets generated requests, valid and invalid (huge ids and offsets, odd
GeoJSON, wrong types). Each answer must be no 5xx, a documented status code, a documented
content type, and a body of the documented schema. The run is bounded by examples per
operation, so it takes a minute or two; each role is its own test, so xdist runs them side
by side with the rest of the suite.
"""

import contextlib
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.api.app import create_app
from gridhub.db import transaction, utcnow
from tests.support.factories import auth_header, grid_square, make_user

EXAMPLES_PER_OPERATION = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SKIPPED = {
    ("GET", "/api/v1/events"): "a live stream that never ends: covered by tests/api/test_dashboard",
    # These reach a camera through the cameras service, which this hub does not run (503);
    # tests/cameras drive them against a real RTSP stream and an ONVIF device.
    ("GET", "/api/v1/cameras/{code}/snapshot"): "needs the cameras service",
    ("GET", "/api/v1/cameras/{code}/live"): "needs the cameras service",
    ("POST", "/api/v1/cameras/{code}/ptz"): "needs the cameras service",
}


@pytest.fixture
def app(hub, town, sessions, settings) -> Iterator[TestClient]:
    with transaction(sessions) as session:
        raise_alert(
            session,
            AlertSpec(
                source_type="operator",
                source_id="ops",
                kind="fire",
                severity="orange",
                title="fire",
                lon=grid_square(0).centroid.x,
                lat=grid_square(0).centroid.y,
            ),
            utcnow(),
        )
    with TestClient(create_app(hub, manage_services=False), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_no_server_error_and_every_answer_documented(app, sessions, settings, role):
    with transaction(sessions) as session:
        headers = auth_header(settings, make_user(session, f"st_{role}", role))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app.app)
    statuses: Counter[int] = Counter()
    failures: dict[str, str] = {}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = (operation.method.upper(), operation.path)
        if label in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            name = f"{case.method.upper()} {case.path}"
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # an unhandled error in the app: a 500 to a client
                statuses[500] += 1
                failures.setdefault(name, f"500: {type(exc).__name__}: {exc}"[:800])
                return
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as exc:  # keep the first per operation
                failures.setdefault(name, f"{response.status_code}: {exc}"[:800])

        with contextlib.suppress(Unsatisfiable):  # an operation with nothing to vary
            run()
    tried = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    summary = (
        f"schemathesis as {role}: {tried} requests in {time.monotonic() - started:.0f} s, "
        f"{server_errors} 5xx, {len(failures)} operations failing, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    print(summary)
    assert tried > 750, summary
    assert failures == {}, "\n\n".join([summary, *(f"{op}\n{why}" for op, why in failures.items())])
