"""``/api/v1/meta``: the pages' rules come from the modules that own them."""

from gridhub.alerts.lifecycle import next_state
from gridhub.db import transaction
from tests.support.factories import auth_header, make_user


def test_meta_serves_the_ladder_the_states_and_the_roles(client, sessions, settings):
    with transaction(sessions) as session:
        headers = auth_header(settings, make_user(session, "viewer", role="viewer"))
    meta = client.get("/api/v1/meta", headers=headers).json()
    assert [s["name"] for s in meta["severities"]] == ["blue", "yellow", "orange", "red"]
    assert all(s["colour"].startswith("#") for s in meta["severities"])
    assert {s["name"]: s["open"] for s in meta["alert_states"]}["resolved"] is False
    for action in meta["alert_actions"]:  # what the page offers is what the hub allows
        for state in action["from_states"]:
            assert next_state(state, action["name"]) == action["to_state"]
    assert [r["name"] for r in meta["roles"]][:2] == ["grid_worker", "grid_leader"]
    assert client.get("/api/v1/meta").status_code == 401
