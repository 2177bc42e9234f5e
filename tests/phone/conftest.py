"""The factories' town with users linked to members, as the phone signs them in."""

from collections.abc import Callable

import pytest

from gridhub.db import transaction
from gridhub.geo.models import Member
from tests.api.conftest import client, hub, settings, town  # noqa: F401  (fixtures)
from tests.support.factories import auth_header, make_user

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def as_member(town, sessions, settings) -> Headers:  # noqa: F811
    """Sign-in headers of a user linked to member ``code`` (scoped to ``scope``)."""
    made: dict[tuple[str | None, str | None], dict[str, str]] = {}

    def headers(code: str | None, scope: str | None = None) -> dict[str, str]:
        if (code, scope) not in made:
            with transaction(sessions) as session:
                user = make_user(session, f"u-{code}-{scope}", role="grid_worker", scope=scope)
                if code is not None:
                    user.member_id = session.query(Member.id).filter_by(code=code).scalar()
            made[code, scope] = auth_header(settings, user)
        return made[code, scope]

    return headers
