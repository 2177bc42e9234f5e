"""Sensor registry import (CSV/YAML, atomic, placed by the locator) and the ingest CLI."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from gridhub.cameras.models import Camera
from gridhub.cli import app
from gridhub.db import transaction
from gridhub.demo.loader import SENSORS_FILE
from gridhub.geo.locator import GridLocator
from gridhub.ingest.models import Drone, Sensor
from gridhub.ingest.registry import SensorImportError, import_sensors
from gridhub.mqtt.models import DeadLetter
from tests.ingest.conftest import GRIDS, IN_G1, IN_G2, IndexLocator

HEADER = "code,name,kind,lon,lat,unit,blue,yellow,orange,red\n"
runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sensors(sessions: sessionmaker[Session]) -> dict[str, Sensor]:
    with sessions() as session:
        return {sensor.code: sensor for sensor in session.scalars(select(Sensor))}


def test_csv_import_places_sensors_and_keeps_empty_thresholds_empty(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "s.csv",
        HEADER
        + f"WL9,河道水位,water_level,{IN_G2[0]},{IN_G2[1]},m,3.5,,5,6.5\n"
        + "RF9,雨量站,rainfall,100.0,20.0,mm/h,,,,\n",
    )
    with transaction(town) as session:
        report = import_sensors(session, path, IndexLocator(GRIDS))
    assert report.created == ("WL9", "RF9") and report.outside == ("RF9",)
    stored = sensors(town)
    wl9 = stored["WL9"]
    assert (wl9.grid_code, wl9.name, wl9.unit) == ("G2", "河道水位", "m")
    assert (wl9.blue, wl9.yellow, wl9.orange, wl9.red) == (3.5, None, 5.0, 6.5)
    assert stored["RF9"].grid_code is None and stored["RF9"].red is None


def test_import_updates_by_code_and_reports_unchanged(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    # S1 (seeded in G1) moves to G2 with new thresholds; importing again changes nothing.
    text = HEADER + f"S1,Moved gauge,water_level,{IN_G2[0]},{IN_G2[1]},m,1,2,3,4\n"
    path = write(tmp_path, "s.csv", text)
    with transaction(town) as session:
        report = import_sensors(session, path, IndexLocator(GRIDS))
    assert report.updated == ("S1",) and not report.created
    s1 = sensors(town)["S1"]
    assert (s1.name, s1.grid_code, s1.blue, s1.red) == ("Moved gauge", "G2", 1.0, 4.0)
    with transaction(town) as session:
        again = import_sensors(session, path, IndexLocator(GRIDS))
    assert again.unchanged == ("S1",) and not again.updated


def test_yaml_import_with_rows_and_hysteresis(town: sessionmaker[Session], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "sensors:\n"
        f"  - {{code: SM1, name: 烟感, kind: smoke, lon: {IN_G1[0]}, lat: {IN_G1[1]}, red: 1}}\n"
        f"  - code: WL2\n    name: gauge\n    kind: water_level\n"
        f"    lon: {IN_G2[0]}\n    lat: {IN_G2[1]}\n    yellow: 2.5\n    hysteresis: 0.1\n",
    )
    with transaction(town) as session:
        report = import_sensors(session, path, IndexLocator(GRIDS))
    assert set(report.created) == {"SM1", "WL2"}
    stored = sensors(town)
    assert (stored["SM1"].grid_code, stored["SM1"].red) == ("G1", 1.0)
    assert (stored["WL2"].yellow, stored["WL2"].hysteresis) == (2.5, 0.1)


def test_rows_given_as_mappings(town: sessionmaker[Session]) -> None:
    rows = [{"code": "X1", "name": "x", "kind": "rainfall", "lon": IN_G1[0], "lat": IN_G1[1]}]
    with transaction(town) as session:
        report = import_sensors(session, rows, IndexLocator(GRIDS))
    assert report.created == ("X1",) and sensors(town)["X1"].grid_code == "G1"


def test_every_bad_row_is_reported_and_nothing_changes(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        HEADER
        + f"OK1,fine,water_level,{IN_G1[0]},{IN_G1[1]},m,1,2,3,4\n"  # line 2: valid
        + "B1,,water_level,113.3,23.1,m,,,,\n"  # 3: no name
        + "B2,b,water_level,200,23.1,m,,,,\n"  # 4: lon out of range
        + "B3,b,water_level,113.3,23.1,m,5,4,,\n"  # 5: thresholds fall
        + "B4,b,water_level,113.3,north,m,,,,\n"  # 6: lat not a number
        + "OK1,again,water_level,113.3,23.1,m,,,,\n"  # 7: duplicate code
        + "B/5,b,water_level,113.3,23.1,m,,,,\n"  # 8: code not usable in a topic
        + "B6,b,water_level,113.3,23.1,m,1,x,,\n",  # 9: threshold not a number
    )
    with pytest.raises(SensorImportError) as refused, transaction(town) as session:
        import_sensors(session, path, IndexLocator(GRIDS))
    problems = {(error.line, error.code): error.reason for error in refused.value.errors}
    assert set(problems) == {
        (3, "B1"),
        (4, "B2"),
        (5, "B3"),
        (6, "B4"),
        (7, "OK1"),
        (8, "B/5"),
        (9, "B6"),
    }
    assert "name" in problems[(3, "B1")]
    assert "lon" in problems[(4, "B2")] and "180" in problems[(4, "B2")]
    assert "yellow 4.0 is not above blue 5.0" in problems[(5, "B3")]
    assert "lat" in problems[(6, "B4")]
    assert "duplicate code (first on line 2)" in problems[(7, "OK1")]
    assert "'B/5' is not allowed" in problems[(8, "B/5")]
    assert "yellow" in problems[(9, "B6")]
    assert set(sensors(town)) == {"S1"}


def test_bad_header_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    header = write(tmp_path, "h.csv", "code,name,kind,lon,unit,purple\nA,a,b,1,m,2\n")
    with pytest.raises(SensorImportError, match=r"missing column\(s\) lat.*unknown.*'purple'"):
        import_sensors(None, header, IndexLocator(GRIDS))  # type: ignore[arg-type]
    for name, text, reason in (
        ("s.json", "[]", "must be .csv, .yaml or .yml"),
        ("s.yaml", "code: A\n", "a list of mappings, not a dict"),
        ("e.yaml", "- [unclosed\n", "not valid YAML"),
        ("empty.csv", HEADER, "holds no sensors"),
    ):
        with pytest.raises(SensorImportError, match=reason):
            import_sensors(None, write(tmp_path, name, text), IndexLocator(GRIDS))  # type: ignore[arg-type]


def cli(database_url: str, tmp_path: Path, *args: str) -> Result:
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, list(args), env=env)


def test_cli_imports_the_demo_sensors_with_the_hubs_locator(
    database_url: str, town: sessionmaker[Session], tmp_path: Path
) -> None:
    demo = write(tmp_path, "demo.csv", SENSORS_FILE.read_text(encoding="utf-8"))
    result = cli(database_url, tmp_path, "sensors", "import", str(demo))
    assert result.exit_code == 0, result.output
    count = len(SENSORS_FILE.read_text(encoding="utf-8").splitlines()) - 1
    assert f"{count} created, 0 updated, 0 unchanged" in result.stdout
    # The demo town lies in Jiangxi, outside the test town's grids: every sensor is reported.
    assert "outside every grid: WL01" in result.stdout
    with town() as session:
        assert GridLocator(town).locate(*IN_G1).grid == "G1"
        assert session.scalar(select(Sensor).where(Sensor.code == "WL01")).kind == "water_level"
    listed = cli(database_url, tmp_path, "sensors", "list")
    assert listed.exit_code == 0
    assert "S1\twater_level\tG1\tm\t3/4/5/6\t-\tRiver gauge" in listed.stdout


def test_cli_refusal_names_each_problem_and_exits_1(
    database_url: str, town: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.csv", HEADER + "A,a,water_level,113.3,95,m,,,,\n")
    result = cli(database_url, tmp_path, "sensors", "import", str(bad))
    assert result.exit_code == 1
    assert "refused, store unchanged (1 problem(s))" in result.stderr
    assert "line 2 (A): lat: Input should be less than or equal to 90" in result.stderr
    assert set(sensors(town)) == {"S1"}


def test_cli_lists_dead_letters_newest_first_with_filters(
    database_url: str, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(town) as session:
        for minute, topic, reason in (
            (1, "gridhub/v1/patrol/W1/checkin", "not JSON: unexpected character"),
            (2, "gridhub/v1/sensors/S9/reading", "unknown sensor 'S9': not in the registry"),
            (3, "gridhub/v1/patrol/W9/checkin", "unknown worker 'W9': not on the roster"),
        ):
            session.add(
                DeadLetter(
                    received_at=datetime(2026, 7, 1, 8, minute, tzinfo=UTC),
                    topic=topic,
                    reason=reason,
                    payload_excerpt="{...}",
                    size=5,
                )
            )
    result = cli(database_url, tmp_path, "deadletters", "list", "--topic", "gridhub/v1/patrol/")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == [
        "gridhub/v1/patrol/W9/checkin",
        "gridhub/v1/patrol/W1/checkin",
    ]
    assert "unknown worker 'W9': not on the roster" in lines[0]
    assert "2 of 2 dead letter(s)" in result.stderr
    since = cli(database_url, tmp_path, "deadletters", "list", "--since", "2026-07-01T08:02:00")
    assert [line.split("\t")[1] for line in since.stdout.splitlines()] == [
        "gridhub/v1/patrol/W9/checkin",
        "gridhub/v1/sensors/S9/reading",
    ]


def test_cli_links_a_dji_serial_to_a_registered_drone(
    database_url: str, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(town) as session:
        session.add(Camera(code="UAV1", name="drone", kind="drone"))
    result = cli(database_url, tmp_path, "drones", "link", "UAV1", "1581F5BKD225400BGA")
    assert result.exit_code == 0, result.output
    with town() as session:
        assert session.scalar(select(Drone.code).where(Drone.serial_number == "1581F5BKD225400BGA"))
    refused = cli(database_url, tmp_path, "drones", "link", "NOPE", "SN2")
    assert refused.exit_code == 1 and "no drone 'NOPE' in the cameras registry" in refused.stderr
