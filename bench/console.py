"""Console benchmark: a county-sized map in a real headless Chromium (Debian's).

Builds a SpatiaLite store with GRIDS grids (square, in VILLAGES villages), CAMERAS cameras and
ALERTS open alerts, serves the hub with uvicorn on loopback, signs in as an operator and
measures what an operator waits for or would feel:

- sign-in → map drawn: from pressing "sign in" to every layer drawn (``body[data-ready]``);
- panning: frame times while the map pans continuously for a few seconds (canvas rendering);
- a live update: the page's time handling one live event (an alert changing) while the
  stream delivers a burst of them, and the end-to-end delay from the store's commit to the
  list showing the change.

The raw baseline, in the same run: an empty animation frame loop on the same page.

    .venv/bin/python -m bench.console [--grids 5000] [--cameras 2000] [--alerts 200]
"""

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from geoalchemy2.shape import from_shape
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from shapely.geometry import Point, box

from gridhub.alerts.actions import act
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.api.app import create_app
from gridhub.api.users import create_user
from gridhub.cameras.models import Camera
from gridhub.config import load_settings
from gridhub.db import make_engine, make_session_factory, transaction, upgrade, utcnow
from gridhub.geo.models import Region
from gridhub.hub import Hub
from tests.api import chromium
from tests.support.services import free_port

ORIGIN = (115.5, 28.8)
CELL = 0.006
PASSWORD = "bench-console-password"
PAN_S = 3.0
BURST = 50

FRAMES = """
const done = arguments[arguments.length - 1], pan = arguments[0], map = window.gridhub.map;
const times = []; let last = performance.now(); const end = last + arguments[1] * 1000;
let way = 1;
function again() {  // pan on and on, as a hand dragging the map does: the picture moves each
  way = -way;       // frame, the canvas is redrawn when each move ends
  map.panBy([300 * way, 120 * way], { animate: true, duration: 0.5 });
}
if (pan) { map.on("moveend", again); again(); }
function frame(now) {
  times.push(now - last); last = now;
  if (now < end) requestAnimationFrame(frame);
  else { map.off("moveend", again); done(times); }
}
requestAnimationFrame(frame);
"""
REDRAW = """
const map = window.gridhub.map, times = [];
for (let i = 0; i < 10; i++) {
  const start = performance.now();
  map.panBy([i % 2 ? 400 : -400, 0], { animate: false });
  times.push(performance.now() - start);
}
return times;
"""
WRAP = """
const ctx = window.gridhub.ctx, original = ctx.dispatch.bind(ctx);
window.benchCost = [];
ctx.dispatch = (type, data) => {
  const start = performance.now(); original(type, data);
  window.benchCost.push(performance.now() - start);
};
"""


def build(url: str, grids: int, villages: int, cameras: int, alerts: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    rng = random.Random(7)
    columns = int(grids**0.5 * 1.5)
    with transaction(sessions) as session:
        county = Region(code="C", name="县", level="county", path="/C/", properties={})
        town = Region(code="T", name="镇", level="town", parent=county, path="/C/T/", properties={})
        session.add_all([county, town])
        per_village = -(-grids // villages)
        village_rows = []
        for v in range(villages):
            village = Region(
                code=f"V{v:03d}",
                name=f"{v}村",
                level="village",
                parent=town,
                path=f"/C/T/V{v:03d}/",
                properties={},
            )
            village_rows.append(village)
        session.add_all(village_rows)
        session.flush()
        centres = []
        for g in range(grids):
            x, y = g % columns, g // columns
            lon, lat = ORIGIN[0] + x * CELL, ORIGIN[1] + y * CELL
            village = village_rows[min(g // per_village, villages - 1)]
            session.add(
                Region(
                    code=f"G{g:05d}",
                    name=f"第{g}网格",
                    level="grid",
                    parent=village,
                    path=f"{village.path}G{g:05d}/",
                    properties={},
                    geom=from_shape(box(lon, lat, lon + CELL, lat + CELL), 4326),
                )
            )
            centres.append((f"G{g:05d}", lon + CELL / 2, lat + CELL / 2))
        session.flush()
        ids = dict(session.query(Region.code, Region.id).filter(Region.level == "grid").all())
        for c in range(cameras):
            code, lon, lat = centres[rng.randrange(grids)]
            session.add(
                Camera(
                    code=f"CAM{c:05d}",
                    name=f"摄像头{c}",
                    kind="fixed",
                    grid_id=ids[code],
                    geom=from_shape(Point(lon + rng.uniform(-0.002, 0.002), lat), 4326),
                    stream_url=f"rtsp://127.0.0.1:9/{c}",
                    device={},
                    status=rng.choice(["online"] * 8 + ["offline", "degraded"]),
                )
            )
        create_user(session, "op", PASSWORD, role="operator")
    now = utcnow()
    with transaction(sessions) as session:
        for a in range(alerts):
            code, lon, lat = centres[rng.randrange(grids)]
            spec = AlertSpec(
                "sensor",
                f"S{a}",
                "water_level",
                rng.choice(["blue", "yellow", "orange", "red"]),
                f"测试告警 {a}",
                lon=lon,
                lat=lat,
                grids=(code,),
            )
            raise_alert(session, spec, now)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=5000)
    parser.add_argument("--villages", type=int, default=50)
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.monotonic()
        build(url, args.grids, args.villages, args.cameras, args.alerts)
        print(
            f"store: {args.grids} grids, {args.cameras} cameras, {args.alerts} open alerts"
            f" in {time.monotonic() - started:.1f} s"
        )
        settings = load_settings(database_url=url, data_dir=Path(tmp))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        hub = Hub(settings=settings, engine=engine, sessions=sessions)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(hub, manage_services=False),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        driver = chromium.start(Path(tmp) / "chromium")
        try:
            measure(driver, f"http://127.0.0.1:{port}", sessions)
        finally:
            driver.quit()
            server.should_exit = True


def measure(driver, base: str, sessions) -> None:  # type: ignore[no-untyped-def]
    driver.set_window_size(1920, 1080)
    driver.get(base + "/")
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#sign-in input"))
    driver.find_element(By.CSS_SELECTOR, "#sign-in input[name=username]").send_keys("op")
    driver.find_element(By.CSS_SELECTOR, "#sign-in input[name=password]").send_keys(PASSWORD)
    clicked = time.monotonic()
    driver.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
    WebDriverWait(driver, 120, 0.02).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready")
    )
    drawn = time.monotonic() - clicked
    shown = driver.execute_script("return window.gridhub.grids.getLayers().length")
    canvas = driver.execute_script(
        "return !!document.querySelector('.leaflet-overlay-pane canvas')"
    )
    print(f"sign-in → map drawn: {drawn:.2f} s ({shown} grids, canvas={canvas})")
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "live"
    )
    driver.set_script_timeout(PAN_S * 4)
    idle = driver.execute_async_script(FRAMES, False, PAN_S)
    panning = driver.execute_async_script(FRAMES, True, PAN_S)
    for name, times in (("empty frame loop (baseline)", idle), ("panning", panning)):
        times = sorted(times[1:])
        print(
            f"{name}: {len(times) / PAN_S:.0f} frames/s, median {statistics.median(times):.1f} ms,"
            f" p95 {times[int(len(times) * 0.95)]:.1f} ms, max {times[-1]:.1f} ms"
        )
    redraws = sorted(driver.execute_script(REDRAW))
    print(
        f"one redraw at the end of a move: median {statistics.median(redraws):.0f} ms,"
        f" max {redraws[-1]:.0f} ms"
    )
    driver.execute_script(WRAP)
    with sessions() as session:
        from gridhub.alerts.models import Alert

        ids = [a.id for a in session.query(Alert).filter(Alert.is_open).limit(BURST)]
    committed = time.monotonic()
    with transaction(sessions) as session:
        for alert_id in ids:
            act(session, alert_id, "ack", "bench", utcnow(), note="bench")
    last = ids[-1]
    WebDriverWait(driver, 30, 0.01).until(
        lambda d: (
            d.execute_script(
                "return document.querySelector(`#alert-list li[data-alert='${arguments[0]}']`)"
                "?.dataset.status",
                last,
            )
            == "acknowledged"
        )
    )
    delay = time.monotonic() - committed
    costs = sorted(driver.execute_script("return window.benchCost"))
    print(
        f"live update: {len(costs)} events, page cost median {statistics.median(costs):.1f} ms,"
        f" max {costs[-1]:.1f} ms; commit → list shows the burst's last: {delay * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
