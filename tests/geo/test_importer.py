"""Import and export of regions and grids, on SpatiaLite and PostGIS."""

import copy

import pytest
from sqlalchemy import func, select

from gridhub.db import transaction
from gridhub.geo.exporter import export_regions
from gridhub.geo.importer import GridImportError, import_grids
from gridhub.geo.models import Region
from gridhub.geo.repository import grid_revision, region_by_code, subtree
from tests.geo.town import by_code, feature, polygon, square, town, with_feature


def load(sessions, collection, **options):
    with transaction(sessions) as session:
        return import_grids(session, collection, **options)


def export(sessions):
    with sessions() as session:
        return export_regions(session)


def revision(sessions) -> int:
    with sessions() as session:
        return grid_revision(session)


def test_round_trip_is_lossless(sessions):
    report = load(sessions, town())
    assert sorted(report.created) == ["C1", "G1", "G2", "G3", "T1", "V1", "V2"]
    assert report.overlaps == []
    assert report.revision == 1
    exported = export(sessions)
    assert by_code(exported) == by_code(town())
    with sessions() as session:
        grid = region_by_code(session, "G3")
        assert grid.path == "/C1/T1/V2/G3/"
        assert grid.parent.code == "V2"
        assert [r.code for r in subtree(session, "V1")] == ["V1", "G1", "G2"]


def test_reimport_is_idempotent_and_updates_by_code(sessions):
    load(sessions, town())
    again = load(sessions, town())
    assert again.created == [] and again.updated == [] and again.removed == []
    assert again.revision is None and revision(sessions) == 1

    changed = town()
    grids = by_code(changed)
    grids["G2"]["properties"]["name"] = "二号网格"
    grids["G2"]["properties"]["parent"] = "V2"
    report = load(sessions, changed)
    assert report.updated == ["G2"] and report.revision == 2
    with sessions() as session:
        g2 = region_by_code(session, "G2")
        assert (g2.name, g2.path) == ("二号网格", "/C1/T1/V2/G2/")
        assert session.scalar(select(func.count()).select_from(Region)) == 7


def test_moving_a_village_moves_the_paths_of_its_stored_grids(sessions):
    load(sessions, town())
    moved = {
        "type": "FeatureCollection",
        "features": [feature("T2", "town", "C1"), feature("V1", "village", "T2")],
    }
    load(sessions, moved)
    with sessions() as session:
        assert region_by_code(session, "G1").path == "/C1/T2/V1/G1/"


def test_prune_removes_what_the_file_lacks(sessions):
    load(sessions, town())
    smaller = town()
    smaller["features"] = [
        f for f in smaller["features"] if f["properties"]["code"] not in ("V2", "G3")
    ]
    without_prune = load(sessions, smaller)
    assert without_prune.removed == []
    report = load(sessions, smaller, prune=True)
    assert report.removed == ["G3", "V2"]
    assert sorted(by_code(export(sessions))) == ["C1", "G1", "G2", "T1", "V1"]


def test_prune_refuses_to_drop_a_parent_the_file_still_uses(sessions):
    load(sessions, town())
    only_grid = {"type": "FeatureCollection", "features": [by_code(town())["G1"]]}
    with pytest.raises(GridImportError) as error:
        load(sessions, only_grid, prune=True)
    assert "parent V1 is not in the file and would be pruned" in str(error.value)
    assert by_code(export(sessions)) == by_code(town())


def test_parent_may_be_a_stored_region(sessions):
    load(sessions, town())
    extra = {
        "type": "FeatureCollection",
        "features": [feature("G9", "grid", "V2", polygon(square(118.02, 30.02, 0.005)))],
    }
    assert load(sessions, extra).created == ["G9"]
    with sessions() as session:
        assert region_by_code(session, "G9").path == "/C1/T1/V2/G9/"


BAD_CASES = {
    "unclosed ring": (
        feature("GX", "grid", "V1", polygon(square(118.02, 30.02, 0.005)[:-1])),
        "not closed",
    ),
    "too few points": (
        feature("GX", "grid", "V1", polygon([[118.0, 30.0], [118.1, 30.0], [118.0, 30.0]])),
        "at least 4",
    ),
    "self-intersection": (
        feature(
            "GX",
            "grid",
            "V1",
            polygon([[118.0, 30.0], [118.1, 30.1], [118.1, 30.0], [118.0, 30.1], [118.0, 30.0]]),
        ),
        "Self-intersection",
    ),
    "out of range": (
        feature("GX", "grid", "V1", polygon(square(179.99, 30.0, 0.05))),
        "outside WGS84",
    ),
    "unknown parent": (
        feature("GX", "grid", "V404", polygon(square(118.02, 30.02, 0.005))),
        "unknown parent V404",
    ),
    "grid without polygon": (
        feature("GX", "grid", "V1", {"type": "Point", "coordinates": [118.0, 30.0]}),
        "a grid needs Polygon or MultiPolygon geometry",
    ),
    "grid without geometry": (
        feature("GX", "grid", "V1"),
        "a grid needs Polygon or MultiPolygon geometry",
    ),
    "bad level": (feature("GX", "hamlet", "V1"), "bad level 'hamlet'"),
    "duplicate code": (
        feature("G2", "grid", "V1", polygon(square(118.02, 30.02, 0.005))),
        "duplicate code (also feature 6)",
    ),
    "grid under a grid": (
        feature("GX", "grid", "G1", polygon(square(118.02, 30.02, 0.005))),
        "a grid cannot be under the grid G1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_feature_is_rejected_and_store_unchanged(sessions, case):
    load(sessions, town())
    before = export(sessions)
    bad, reason = BAD_CASES[case]
    with pytest.raises(GridImportError) as error:
        load(sessions, with_feature(town(), bad))
    problem = error.value.problems[-1]
    assert problem.index == 7
    assert reason in problem.reason
    assert export(sessions) == before
    assert revision(sessions) == 1


def test_every_problem_is_reported_at_once(sessions):
    collection = town()
    del collection["features"][1]["properties"]["name"]
    collection["features"][4]["properties"].pop("code")
    collection["features"][5]["properties"]["parent"] = "NOPE"
    with pytest.raises(GridImportError) as error:
        load(sessions, collection)
    lines = str(error.value).splitlines()
    assert lines == [
        "feature 2 (code T1): missing 'name' (a non-empty string)",
        "feature 5: missing 'code' (a non-empty string)",
        "feature 6 (code G2): unknown parent NOPE",
    ]
    assert export(sessions)["features"] == []


def test_parent_cycle_is_rejected(sessions):
    cycle = {
        "type": "FeatureCollection",
        "features": [feature("A", "town", "B"), feature("B", "town", "A")],
    }
    with pytest.raises(GridImportError) as error:
        load(sessions, cycle)
    assert "parent cycle: A → B → A" in str(error.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2], "not a GeoJSON FeatureCollection"),
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection"}, "without a 'features' list"),
    ],
)
def test_not_a_feature_collection(sessions, data, reason):
    with pytest.raises(GridImportError, match=reason):
        load(sessions, data)


def test_overlaps_are_reported_and_strict_refuses_them(sessions):
    overlapping = with_feature(
        town(), feature("G4", "grid", "V2", polygon(square(118.019, 30.0, 0.01)))
    )
    report = load(sessions, copy.deepcopy(overlapping))
    (overlap,) = report.overlaps
    assert (overlap.a, overlap.b) == ("G2", "G4")
    # 0.001° × 0.01° at 30° N: ~96.5 m × ~1,109 m
    assert overlap.area_m2 == pytest.approx(96.5 * 1109, rel=0.01)
    with pytest.raises(GridImportError, match="G2 overlaps G4"):
        load(sessions, overlapping, strict=True)
