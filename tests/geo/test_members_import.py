"""Members import from CSV and YAML: created/updated by code, every error reported, atomic."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from gridhub.db import transaction
from gridhub.geo.members import import_members, list_members
from gridhub.geo.members_file import MemberImportError, read_member_file
from gridhub.geo.models import Member, MemberArea
from gridhub.secrets import SecretBox
from tests.support.factories import make_grid_tree

BOX = SecretBox([Fernet.generate_key()])

HEADER = "code,name,role,grids,phone,mqtt_client_id,notify,duty\n"
GOOD_CSV = HEADER + (
    "W1,张伟,grid_worker,G11,13800000001,w1-phone,json://127.0.0.1:9000/sms,mon-fri 08:00-18:00\n"
    "L1,李娜,grid_leader,G11;G12,,,dingtalk://sec@tok/138;mailto://l1@example.com,\n"
    "P1,王强,police,T1,,,,\n"
)
GOOD_YAML = """\
- code: W2
  name: 刘洋
  role: grid_worker
  grids: [G21]
  phone: 13800000002
  notify: [wecombot://key123]
  duty: "22:00-06:00"
- code: C1
  name: 陈静
  role: village_cadre
  grids: V2
  phone:
  duty:
  properties: {office: 村委会}
"""


@pytest.fixture
def tree(sessions):
    with transaction(sessions) as session:
        make_grid_tree(session)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_import(sessions, path: Path):
    rows = read_member_file(path)
    with transaction(sessions) as session:
        return import_members(session, rows, BOX)


def snapshot(sessions) -> list[tuple]:
    with sessions() as session:
        return [
            (
                m.code,
                m.name,
                m.role,
                m.phone,
                m.mqtt_client_id,
                [BOX.open(url) for url in m.notify],
                m.duty,
                m.properties,
                [a.region.code for a in m.areas],
            )
            for m in list_members(session)
        ]


def test_csv_import_creates_members_with_areas_contacts_and_duty(sessions, tree, tmp_path):
    report = run_import(sessions, write(tmp_path, "m.csv", GOOD_CSV))
    assert report.created == ("W1", "L1", "P1")
    assert snapshot(sessions) == [
        (
            "L1",
            "李娜",
            "grid_leader",
            None,
            None,
            ["dingtalk://sec@tok/138", "mailto://l1@example.com"],
            "always",
            {},
            ["G11", "G12"],
        ),
        ("P1", "王强", "police", None, None, [], "always", {}, ["T1"]),
        (
            "W1",
            "张伟",
            "grid_worker",
            "13800000001",
            "w1-phone",
            ["json://127.0.0.1:9000/sms"],
            "mon-fri 08:00-18:00",
            {},
            ["G11"],
        ),
    ]


def test_yaml_import_accepts_lists_strings_numbers_and_properties(sessions, tree, tmp_path):
    report = run_import(sessions, write(tmp_path, "m.yaml", GOOD_YAML))
    assert report.created == ("W2", "C1")
    assert snapshot(sessions) == [
        ("C1", "陈静", "village_cadre", None, None, [], "always", {"office": "村委会"}, ["V2"]),
        (
            "W2",
            "刘洋",
            "grid_worker",
            "13800000002",
            None,
            ["wecombot://key123"],
            "22:00-06:00",
            {},
            ["G21"],
        ),
    ]


def test_csv_saved_by_excel_with_bom_or_gbk_is_read(sessions, tree, tmp_path):
    text = HEADER + "W9,赵敏,grid_worker,G31,,,,\n"
    run_import(sessions, write(tmp_path, "bom.csv", text.encode("utf-8-sig")))
    run_import(sessions, write(tmp_path, "gbk.csv", text.replace("W9", "W8").encode("gbk")))
    names = {row[0]: row[1] for row in snapshot(sessions)}
    assert names == {"W8": "赵敏", "W9": "赵敏"}


def test_reimport_updates_by_code_and_is_idempotent(sessions, tree, tmp_path):
    run_import(sessions, write(tmp_path, "m.csv", GOOD_CSV))
    again = run_import(sessions, write(tmp_path, "m.csv", GOOD_CSV))
    assert again.created == () and again.updated == ()
    assert again.unchanged == ("W1", "L1", "P1")
    changed = HEADER + "L1,李娜,grid_leader,G12;V2,13900000000,,,08:00-20:00\n"
    report = run_import(sessions, write(tmp_path, "n.csv", changed))
    assert report.updated == ("L1",)
    rows = {row[0]: row for row in snapshot(sessions)}
    assert rows["L1"] == (
        "L1",
        "李娜",
        "grid_leader",
        "13900000000",
        None,
        [],
        "08:00-20:00",
        {},
        ["G12", "V2"],
    )
    assert rows["W1"][8] == ["G11"]  # members missing from a file are kept
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(MemberArea)) == 4


def refused(sessions, path: Path) -> list[str]:
    before = snapshot(sessions)
    with pytest.raises(MemberImportError) as caught:
        run_import(sessions, path)
    assert snapshot(sessions) == before, "a refused file must change nothing"
    return [str(error) for error in caught.value.errors]


def test_every_bad_row_is_reported_and_nothing_is_stored(sessions, tree, tmp_path):
    run_import(sessions, write(tmp_path, "ok.csv", GOOD_CSV))
    bad = HEADER + (
        "W1,张伟改,grid_worker,G12,,w1-phone,,\n"  # fine on its own: must not be stored either
        "X1,甲,boss,G11,,,,\n"
        "X2,乙,grid_worker,G99;V1,,,,\n"
        "X3,丙,grid_worker,G11,,,,mon-fry 08:00-18:00\n"
        "X4,丁,grid_worker,G11,,,not a url,\n"
        ",戊,grid_worker,G11,,,,\n"
        "X6,己,grid_worker,,,,,\n"
        "X1,庚,grid_worker,G11,,,,\n"
        "X8,辛,grid_worker,G11,12ab,,,\n"
        "X9,壬,grid_worker,G11,,w1-phone,,\n"
        "X7,癸,grid_worker,G11,,,,,extra\n"
    )
    errors = refused(sessions, write(tmp_path, "bad.csv", bad))
    assert errors == [
        "line 3 (X1): role: unknown role 'boss' (expected one of grid_worker, grid_leader, "
        "village_cadre, town_operator, county_operator, police, legal_adviser)",
        "line 4 (X2): unknown grid or region code 'G99'",
        "line 5 (X3): duty: bad duty spec: duty 'mon-fry 08:00-18:00': unknown day 'fry' "
        "(use mon, tue, wed, thu, fri, sat, sun)",
        "line 6 (X4): notify: bad notify URL 'not a url': expected scheme://… "
        "(e.g. dingtalk://…, wecombot://…, mailto://…, json://…)",
        "line 7: missing field 'code'",
        "line 8 (X6): missing field 'grids'",
        "line 9 (X1): duplicate code (first on line 3)",
        "line 10 (X8): phone: '12ab' is not allowed here",
        "line 11 (X9): mqtt_client_id 'w1-phone' is also given to W1 on line 2",
        "line 12: more fields than the header has columns",
    ]
    with sessions() as session:
        assert session.scalar(select(Member.name).where(Member.code == "W1")) == "张伟"


def test_bad_yaml_rows_are_reported_with_their_lines(sessions, tree, tmp_path):
    text = """\
- code: Y1
  name: 甲
  role: grid_worker
  grids: [G11]
  mobile: 138
- just a string
- code: Y3
  name: 丙
  role: grid_worker
  grids: []
"""
    errors = refused(sessions, write(tmp_path, "bad.yml", text))
    assert errors[0].startswith("line 1 (Y1): unknown field 'mobile'")
    assert errors[1:] == [
        "line 6: expected a mapping, got 'just a string'",
        "line 7 (Y3): grids: at least one grid or region code is required",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("m.json", '[{"code": "A"}]', "file: m.json: a members file must be .csv, .yaml or .yml"),
        ("m.csv", "", "file: the file holds no members"),
        ("m.csv", HEADER, "file: the file holds no members"),
        ("m.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "file: not a text file"),
        (
            "m.csv",
            "code,name,grids,mobile\nA,B,G11,1\n",
            "line 1: header: missing required column(s) role; unknown column(s) 'mobile'",
        ),
        ("m.yaml", "code: A\nname: B\n", "file: a YAML members file must be a list of mappings"),
        ("m.yaml", "- code: [A\n", "file: line 2: not valid YAML"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_reason(tmp_path, name, content, reason):
    with pytest.raises(MemberImportError) as caught:
        read_member_file(write(tmp_path, name, content))
    assert str(caught.value.errors[0]).startswith(reason), caught.value.errors


def test_an_mqtt_client_id_owned_by_a_member_outside_the_file_is_refused(sessions, tree, tmp_path):
    run_import(sessions, write(tmp_path, "ok.csv", GOOD_CSV))
    taken = HEADER + "W5,孙丽,grid_worker,G12,,w1-phone,,\n"
    assert refused(sessions, write(tmp_path, "taken.csv", taken)) == [
        "line 2 (W5): mqtt_client_id 'w1-phone' already belongs to member W1"
    ]
