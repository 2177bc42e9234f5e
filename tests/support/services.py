"""Whether a real-service test may skip: never in CI (``GRIDHUB_REQUIRE_SERVICES=1``)."""

import os
import socket

import pytest


def services_required() -> bool:
    return os.environ.get("GRIDHUB_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when real services are required."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
