"""CAP 1.2 messages read by cap-tools into warnings: fields mapped, circles drawn in metres,
and every problem of a bad file named; the command line takes a file the same way."""

from pathlib import Path

import pytest
from shapely.geometry import Point, shape
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.cli_context import REFUSED_EXIT_CODE
from gridhub.ingest.cap import CapError, parse_cap

DATA = Path(__file__).parent / "data" / "cap"


def test_an_alert_maps_every_field() -> None:
    warning = parse_cap((DATA / "polygon.xml").read_bytes())
    assert warning.key == "hubin.water@example.cn/HB-2026-0601-001"
    assert (warning.msg_type, warning.level, warning.kind) == ("alert", "orange", "flood")
    assert warning.headline == "柳湾河洪水橙色预警"
    assert warning.instruction == "请立即巡查堤段，组织低洼处群众转移。"
    assert (
        warning.expires is not None and warning.expires.isoformat() == "2099-06-02T10:00:00+08:00"
    )
    area = shape(warning.area)
    assert area.bounds == pytest.approx((120.001, 30.001, 120.015, 30.009))  # lat,lon swapped


def test_a_circle_is_its_radius_in_kilometres_around_its_centre() -> None:
    area = shape(parse_cap((DATA / "circle.xml").read_bytes()).area)
    west, _south, east, _north = area.bounds
    # 0.3 km at 30° N is 0.3 / (111.32 * cos 30°) ≈ 0.00311° of longitude each way.
    assert (east - west) / 2 == pytest.approx(0.00311, rel=0.02)
    assert area.contains(Point(120.025, 30.005))


def test_update_and_cancel_name_what_they_change() -> None:
    update = parse_cap((DATA / "update_moved.xml").read_bytes())
    assert update.msg_type == "update"
    assert update.references == ("hubin.water@example.cn/HB-2026-0601-001",)
    cancel = parse_cap((DATA / "cancel.xml").read_bytes())
    assert cancel.msg_type == "cancel" and len(cancel.references) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("<urgency>Immediate</urgency>", "<urgency>Soonish</urgency>"), "Urgency"),
        (("<sender>hubin.water@example.cn</sender>", ""), "sender"),
        (("<eventCode>", "<colour>red</colour><eventCode>"), "Unknown property"),
        (("30.001,120.015 30.009", "30.001,220.015 30.009"), "out of range"),
        (("<msgType>Alert</msgType>", "<msgType>Update</msgType>"), "references"),
        (("</alert>", ""), "not well-formed XML"),
        (("emergency:cap:1.2", "emergency:cap:1.1"), "not a CAP 1.2 alert"),
    ],
)
def test_a_bad_message_is_refused_with_its_reason(change: tuple[str, str], reason: str) -> None:
    text = (DATA / "polygon.xml").read_text().replace(*change)
    with pytest.raises(CapError) as refused:
        parse_cap(text.encode())
    assert reason in str(refused.value)


def test_every_problem_is_named_not_only_the_first() -> None:
    text = (
        (DATA / "bad_polygon.xml")
        .read_text()
        .replace("<msgType>Alert</msgType>", "<msgType>Update</msgType>")
    )
    with pytest.raises(CapError) as refused:
        parse_cap(text.encode())
    assert len(refused.value.reasons) == 3  # the polygon, no area left, no references


def test_the_command_line_imports_a_file_and_refuses_a_bad_one(database_url, engine, tmp_path):
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    done = runner.invoke(app, ["warnings", "import", str(DATA / "polygon.xml")], env=env)
    assert done.exit_code == 0, done.output
    assert "alert hubin.water@example.cn/HB-2026-0601-001 → warning 1" in done.output
    again = runner.invoke(app, ["warnings", "import", str(DATA / "polygon.xml")], env=env)
    assert "→ warning 1" in again.output
    bad = runner.invoke(app, ["warnings", "import", str(DATA / "bad_polygon.xml")], env=env)
    assert bad.exit_code == REFUSED_EXIT_CODE
    assert "refused, store unchanged" in bad.output
    assert "polygon needs at least 4 points" in bad.output
