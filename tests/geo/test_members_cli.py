"""``gridhub members import|list`` through typer's runner, against the test database."""

from sqlalchemy import func, select
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.db import transaction
from gridhub.geo.models import Member
from tests.support.factories import make_grid_tree

runner = CliRunner()
HEADER = "code,name,role,grids,phone,mqtt_client_id,notify,duty\n"


def run(database_url, tmp_path, *args):
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    return runner.invoke(app, list(args), env=env)


def test_import_then_list(database_url, sessions, tmp_path):
    with transaction(sessions) as session:
        make_grid_tree(session)
    source = tmp_path / "members.csv"
    source.write_text(HEADER + "W1,张伟,grid_worker,G11;G12,,,,08:00-18:00\n", encoding="utf-8")
    result = run(database_url, tmp_path, "members", "import", str(source))
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged" in result.stdout
    result = run(database_url, tmp_path, "members", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == "W1\tgrid_worker\t张伟\t08:00-18:00\tG11;G12\n"


def test_refused_file_exits_nonzero_naming_each_row(database_url, sessions, tmp_path):
    with transaction(sessions) as session:
        make_grid_tree(session)
    source = tmp_path / "members.csv"
    source.write_text(
        HEADER + "W1,张伟,grid_worker,G11,,,,\nW2,李娜,chief,G404,,,,\n", encoding="utf-8"
    )
    result = run(database_url, tmp_path, "members", "import", str(source))
    assert result.exit_code == 1
    assert "refused, store unchanged (2 problem(s))" in result.stderr
    assert "line 3 (W2): role: unknown role 'chief'" in result.stderr
    assert "line 3 (W2): unknown grid or region code 'G404'" in result.stderr
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_non_member_file_is_refused(database_url, tmp_path):
    source = tmp_path / "grids.geojson"
    source.write_text("{}", encoding="utf-8")
    result = run(database_url, tmp_path, "members", "import", str(source))
    assert result.exit_code == 1
    assert "a members file must be .csv, .yaml or .yml" in result.stderr
