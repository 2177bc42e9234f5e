"""``gridhub grids import|export|locate`` through typer's runner, against the test database."""

import json

import pytest
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.geo.crs import from_wgs84
from tests.geo.town import by_code, feature, polygon, square, town, with_feature

runner = CliRunner()


def run(database_url, tmp_path, *args):
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, list(args), env=env)


def write(path, collection):
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_export_locate(database_url, tmp_path):
    source = write(tmp_path / "town.geojson", town())
    result = run(database_url, tmp_path, "grids", "import", source)
    assert result.exit_code == 0, result.output
    assert "created 7, updated 0, unchanged 0, removed 0" in result.stdout
    # What it is doing, as it does it (on stderr: stdout stays the summary).
    stages = [line.split("] ", 1)[1] for line in result.stderr.splitlines()]
    assert stages == [
        "parsing town.geojson (0.0 MB)",
        "validating features",
        "checking 7 features against the stored tree",
        "looking for overlapping grids",
        "writing 7 regions and grids",
        "committed",
    ]

    out = tmp_path / "out.geojson"
    result = run(database_url, tmp_path, "grids", "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert by_code(json.loads(out.read_text(encoding="utf-8"))) == by_code(town())

    result = run(database_url, tmp_path, "grids", "locate", "118.002", "30.002")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["grid"] == "G1"
    assert answer["path"] == ["C1", "T1", "V1", "G1"]

    result = run(database_url, tmp_path, "grids", "locate", "118.005", "30.005")
    answer = json.loads(result.stdout)
    assert answer["grid"] is None and answer["path"] == []
    assert answer["nearest"] == "G1" and 96 < answer["distance_m"] < 97

    lon, lat = from_wgs84(118.015, 30.005, "gcj02")  # as a phone's AMap SDK reports it
    result = run(database_url, tmp_path, "grids", "locate", str(lon), str(lat), "--crs", "gcj02")
    answer = json.loads(result.stdout)
    assert answer["grid"] == "G2"
    assert (answer["lon"], answer["lat"]) == pytest.approx((118.015, 30.005), abs=1e-9)


def test_bad_file_exits_nonzero_naming_each_feature(database_url, tmp_path):
    bad = with_feature(town(), feature("GX", "grid", "V404", polygon(square(118.1, 30.1, 0.01))))
    bad["features"][5]["geometry"] = polygon(square(118.01, 30.0, 0.01)[:-1])
    result = run(database_url, tmp_path, "grids", "import", write(tmp_path / "bad.json", bad))
    assert result.exit_code == 1
    assert "feature 6 (code G2): exterior ring is not closed" in result.stderr
    assert "feature 8 (code GX): unknown parent V404" in result.stderr
    assert "nothing imported (2 problem(s))" in result.stderr
    exported = run(database_url, tmp_path, "grids", "export")
    assert json.loads(exported.stdout)["features"] == []


def test_non_json_and_overlaps(database_url, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    result = run(database_url, tmp_path, "grids", "import", str(junk))
    assert result.exit_code == 1 and "not JSON" in result.stderr

    overlapping = with_feature(
        town(), feature("G4", "grid", "V2", polygon(square(118.019, 30.0, 0.01)))
    )
    path = write(tmp_path / "overlap.json", overlapping)
    strict = run(database_url, tmp_path, "grids", "import", path, "--strict")
    assert strict.exit_code == 1 and "G2 overlaps G4" in strict.stderr
    relaxed = run(database_url, tmp_path, "grids", "import", path)
    assert relaxed.exit_code == 0
    assert "1 overlap(s) between grids:" in relaxed.stdout
    assert "G2 overlaps G4: 10" in relaxed.stdout  # ~107,000 m²


def test_locate_refuses_bad_crs(database_url, tmp_path):
    result = run(database_url, tmp_path, "grids", "locate", "118", "30", "--crs", "utm")
    assert result.exit_code == 2 and "unknown coordinate system" in result.stderr


def test_prune_flag_removes_missing_grids(database_url, tmp_path):
    assert (
        run(database_url, tmp_path, "grids", "import", write(tmp_path / "a.json", town())).exit_code
        == 0
    )
    smaller = town()
    smaller["features"] = [f for f in smaller["features"] if f["properties"]["code"] != "G3"]
    path = write(tmp_path / "b.json", smaller)
    result = run(database_url, tmp_path, "grids", "import", path, "--prune")
    assert result.exit_code == 0, result.output
    assert "created 0, updated 0, unchanged 6, removed 1" in result.stdout
    assert "grid revision 2" in result.stdout
    located = run(database_url, tmp_path, "grids", "locate", "118.035", "30.005")
    assert json.loads(located.stdout)["grid"] is None


def test_export_under_a_region(database_url, tmp_path):
    run(database_url, tmp_path, "grids", "import", write(tmp_path / "a.json", town()))
    result = run(database_url, tmp_path, "grids", "export", "--under", "V1")
    assert sorted(by_code(json.loads(result.stdout))) == ["G1", "G2", "V1"]
    unknown = run(database_url, tmp_path, "grids", "export", "--under", "V9")
    assert unknown.exit_code == 2 and "unknown region V9" in unknown.stderr


def test_every_problem_of_a_feature_numbered_from_one_and_counted(database_url, tmp_path):
    """A feature with an open ring under an unknown parent gets both named; features count
    from 1, and the progress line counts every feature of the file, refused ones too."""
    bad = with_feature(town(), feature("GX", "grid", "V404", polygon(square(118.1, 30.1, 0.01))))
    bad["features"][7]["geometry"] = polygon(square(118.1, 30.1, 0.01)[:-1])
    result = run(database_url, tmp_path, "grids", "import", write(tmp_path / "bad.json", bad))
    assert result.exit_code == 1
    assert "feature 8 (code GX): exterior ring is not closed" in result.stderr
    assert "feature 8 (code GX): unknown parent V404" in result.stderr
    assert "nothing imported (2 problem(s))" in result.stderr
    assert f"checking {len(bad['features'])} features" in result.stderr
