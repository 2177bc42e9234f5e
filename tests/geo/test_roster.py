"""Who is responsible for a grid now: escalation order, region expansion, duty filtering."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gridhub.db import transaction
from gridhub.geo.roster import (
    Responsible,
    grid_members,
    member_grid_codes,
    responsible_for_grids,
    responsible_members,
)
from tests.support.factories import make_grid_tree, make_member

SHANGHAI = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
MONDAY_20 = datetime(2026, 11, 23, 20, 0, tzinfo=SHANGHAI)
MONDAY_23 = datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def roster(sessions, box):
    with transaction(sessions) as session:
        make_grid_tree(session)
        make_member(session, "W11a", "grid_worker", ["G11"], mqtt_client_id="w11a", phone="1381")
        make_member(session, "W11b", "grid_worker", ["G11"], duty="08:00-18:00")
        make_member(session, "WV1", "grid_worker", ["V1"])
        make_member(session, "W21", "grid_worker", ["G21"], duty="22:00-06:00")
        make_member(session, "L1", "grid_leader", ["G11", "G12"], notify=[box.seal("json://h/sms")])
        make_member(session, "CV1", "village_cadre", ["V1"])
        make_member(session, "CV2", "village_cadre", ["V2"])
        make_member(session, "OT1", "town_operator", ["T1"], duty="mon-fri 08:00-18:00")
        make_member(session, "OT2", "town_operator", ["T2"])
        make_member(session, "OC", "county_operator", ["C1"])
        make_member(session, "P1", "police", ["T1"])
        make_member(session, "A1", "legal_adviser", ["C1"])


def codes(people: list[Responsible]) -> list[str]:
    return [person.member_code for person in people]


def test_escalation_order_grid_workers_first_then_up_the_tree(sessions, roster, box):
    with sessions() as session:
        people = responsible_members(session, "G11", MONDAY_10)
    assert codes(people) == ["W11a", "W11b", "WV1", "L1", "CV1", "OT1", "OC"]
    first = people[0]
    assert first == Responsible(
        member_code="W11a",
        name="member W11a",
        role="grid_worker",
        region_code="G11",
        level_rank=0,
        mqtt_client_id="w11a",
        phone="1381",
        notify=(),
        duty="always",
    )
    assert [(p.role, p.region_code, p.level_rank) for p in people[2:]] == [
        ("grid_worker", "V1", 0),
        ("grid_leader", "G11", 1),
        ("village_cadre", "V1", 2),
        ("town_operator", "T1", 3),
        ("county_operator", "C1", 4),
    ]
    assert [box.open(url) for url in people[3].notify] == ["json://h/sms"]


def test_members_off_duty_are_left_out(sessions, roster):
    with sessions() as session:
        assert codes(responsible_members(session, "G11", MONDAY_20)) == [
            "W11a",
            "WV1",
            "L1",
            "CV1",
            "OC",
        ]
        assert codes(responsible_members(session, "G11", SATURDAY_10)) == [
            "W11a",
            "W11b",
            "WV1",
            "L1",
            "CV1",
            "OC",
        ]


def test_a_level_with_nobody_on_duty_is_skipped(sessions, roster):
    with sessions() as session:
        assert codes(responsible_members(session, "G21", MONDAY_10)) == ["CV2", "OT1", "OC"]
        assert codes(responsible_members(session, "G21", MONDAY_23)) == ["W21", "CV2", "OC"]
        assert codes(responsible_members(session, "G31", SATURDAY_10)) == ["OT2", "OC"]


def test_duty_hours_are_read_in_the_given_time_zone(sessions, roster):
    utc_0300 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    with sessions() as session:
        assert "W11b" in codes(responsible_members(session, "G11", utc_0300))
        late = responsible_members(session, "G11", utc_0300, timezone="America/New_York")
        assert "W11b" not in codes(late)  # 22:00 the evening before in New York


def test_unknown_grid_has_nobody(sessions, roster):
    with sessions() as session:
        assert responsible_members(session, "NOPE", MONDAY_10) == []


def test_many_grids_at_once_match_one_by_one(sessions, roster):
    with sessions() as session:
        together = responsible_for_grids(session, ["G11", "G12", "G21", "G31", "NOPE"], MONDAY_10)
        assert set(together) == {"G11", "G12", "G21", "G31"}
        for grid in together:
            assert together[grid] == responsible_members(session, grid, MONDAY_10)
        assert codes(together["G12"]) == ["WV1", "L1", "CV1", "OT1", "OC"]


def test_grid_members_lists_everyone_with_police_and_advisers_last(sessions, roster):
    with sessions() as session:
        assert codes(grid_members(session, "G11")) == [
            "W11a",
            "W11b",
            "WV1",
            "L1",
            "CV1",
            "OT1",
            "OC",
            "P1",
            "A1",
        ]
        assert codes(grid_members(session, "G31")) == ["OT2", "OC", "A1"]


def test_member_grid_codes_expands_regions_to_their_grids(sessions, roster):
    with sessions() as session:
        assert member_grid_codes(session, "W11a") == {"G11"}
        assert member_grid_codes(session, "L1") == {"G11", "G12"}
        assert member_grid_codes(session, "CV1") == {"G11", "G12"}
        assert member_grid_codes(session, "OT1") == {"G11", "G12", "G21"}
        assert member_grid_codes(session, "OC") == {"G11", "G12", "G21", "G31"}
        assert member_grid_codes(session, "NOPE") == set()
