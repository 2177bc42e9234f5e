"""``gridhub cameras import|discover|add|probe`` through typer's runner."""

from typer.testing import CliRunner

from gridhub.cameras.registry import get_camera
from gridhub.cli import app
from tests.support.onvif_device import DiscoveryResponder
from tests.support.onvif_device import OnvifDevice as SoapDevice
from tests.support.services import free_port

runner = CliRunner()
HEADER = "code,name,kind,lon,lat,stream_url,sub_stream_url,onvif_url,snapshot_url,maintainer,grid\n"


def run(database_url, tmp_path, *args, stdin: str | None = None):
    env = {
        "GRIDHUB_DATABASE_URL": database_url,
        "GRIDHUB_DATA_DIR": str(tmp_path),
        "GRIDHUB_CAMERAS__PROBE_CONCURRENCY": "3",
        "GRIDHUB_CAMERAS__HYSTERESIS": "1",
    }
    return runner.invoke(app, list(args), env=env, input=stdin)


def test_import_then_probe_with_progress(database_url, town, tmp_path, rtsp_server):
    source = tmp_path / "cams.csv"
    source.write_text(
        HEADER
        + f"C1,gate,fixed,118.805,32.005,{rtsp_server.url('ball')},,,,,\n"
        + f"C2,yard,fixed,118.815,32.005,{rtsp_server.url('black')},,,,,\n"
        + f"C3,gone,fixed,118.825,32.005,rtsp://127.0.0.1:{free_port()}/x,,,,,\n",
        encoding="utf-8",
    )
    result = run(database_url, tmp_path, "cameras", "import", str(source))
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated" in result.stdout

    result = run(database_url, tmp_path, "cameras", "probe")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sorted(line.split("]")[0] for line in lines[:3]) == ["[1", "[2", "[3"]
    assert "3 probed, 1 online, 3 status change(s)" in result.stdout
    assert "C2: unknown → degraded (black picture)" in result.stdout
    assert "C3: unknown → offline (stream cannot be opened)" in result.stdout


def test_refused_import_names_rows(database_url, town, tmp_path):
    source = tmp_path / "cams.csv"
    source.write_text(HEADER + "C1,gate,fixed,118.805,32.005,,,,,,G404\n", encoding="utf-8")
    result = run(database_url, tmp_path, "cameras", "import", str(source))
    assert result.exit_code == 1
    assert (
        "refused, store unchanged" in result.output
        and "grid 'G404' does not exist" in result.output
    )


def test_discover_lists_devices_that_answer(tmp_path, database_url):
    with DiscoveryResponder(free_port(), device_port=8080, name="RiverCam") as responder:
        target = f"127.0.0.1:{responder.port}"
        result = run(
            database_url, tmp_path, "cameras", "discover", "--target", target, "--timeout", "1"
        )
    assert result.exit_code == 0, result.output
    assert result.stdout == "127.0.0.1\tRiverCam\thttp://127.0.0.1:8080/onvif/device_service\n"
    assert responder.probes == 1


def test_add_reads_the_device_with_password_from_stdin(database_url, town, sessions, tmp_path):
    with SoapDevice(free_port()) as device:
        address = f"127.0.0.1:{device.port}"
        args = ["cameras", "add", "--onvif", address, "--user", "admin", "--code", "ONV9"]
        args += ["--lon", "118.815", "--lat", "32.005"]
        wrong = run(database_url, tmp_path, *args, stdin="nope\n")
        result = run(database_url, tmp_path, *args, stdin="secret-pass\n")
    assert wrong.exit_code == 1 and "wrong user name or password" in wrong.output
    assert result.exit_code == 0, result.output
    assert "ONV9: Gridhub Test TD-1 (G12), 2 profile(s)" in result.stdout
    with sessions() as session:
        camera = get_camera(session, "ONV9")
        assert camera.ptz and camera.onvif_secret and "secret-pass" not in camera.onvif_secret
    by_grid = ["cameras", "add", "--onvif", address, "--user", "admin", "--code", "ONV8"]
    with SoapDevice(free_port()) as device:
        by_grid[3] = f"127.0.0.1:{device.port}"
        placed = run(database_url, tmp_path, *by_grid, "--grid", "G21", stdin="secret-pass\n")
    assert placed.exit_code == 0, placed.output
    with sessions() as session:
        camera = get_camera(session, "ONV8")
        assert camera.grid.code == "G21" and camera.point() is not None
        assert camera.kind == "ptz" and get_camera(session, "ONV9").kind == "ptz"  # it has PTZ
    unreachable = run(
        database_url, tmp_path, "cameras", "add", "--onvif", f"127.0.0.1:{free_port()}",
        "--user", "admin", "--code", "X", "--grid", "G11", stdin="pw\n",
    )  # fmt: skip
    assert unreachable.exit_code == 1 and "cannot connect" in unreachable.output


def test_add_refuses_a_place_it_cannot_use_before_asking_the_camera(database_url, town, tmp_path):
    """No device listens: a refusal that names the place shows the camera was not asked."""
    base = ["cameras", "add", "--onvif", f"127.0.0.1:{free_port()}", "--user", "a", "--code", "X"]
    nowhere = run(database_url, tmp_path, *base, stdin="pw\n")
    assert nowhere.exit_code == 1 and "give --lon and --lat, or --grid" in nowhere.output
    unknown = run(database_url, tmp_path, *base, "--grid", "G99", stdin="pw\n")
    assert unknown.exit_code == 1 and "grid 'G99' does not exist" in unknown.output
    bad = run(database_url, tmp_path, *base, "--lon", "200", "--lat", "32", stdin="pw\n")
    assert bad.exit_code == 1 and "lon" in bad.output and "cannot connect" not in bad.output
