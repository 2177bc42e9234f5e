"""Generate the demo town in gridhub/demo/data/ (deterministic: run once, commit the output).

柳湾镇 (Liuwan) of 湖滨县 is fictional; it sits on the real low country between the Xiu river and
Poyang lake (Jiangxi), where summer floods make 三防 warnings routine. The shapes are Voronoi cells
whose shared edges are bent once each and then polygonised, so grids tile their village and town
with no gaps and no overlaps.

    .venv/bin/python scripts/generate_demo.py [OUT_DIR]
"""

import csv
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon, mapping
from shapely.ops import polygonize, unary_union

from gridhub.cameras.registry import COLUMNS as CAMERA_COLUMNS
from gridhub.ingest.registry import CSV_COLUMNS as SENSOR_COLUMNS

OUT_DIR = Path(__file__).resolve().parent.parent / "gridhub" / "demo" / "data"
CENTRE_LONLAT = (115.92, 29.10)  # between Yongxiu and Wucheng, Jiujiang, Jiangxi
UTM = "EPSG:32650"
FIRST_SEED = 20260
DECIMALS = 7  # about 1 cm

COUNTY = ("C3604", "湖滨县")
TOWN = ("T01", "柳湾镇")
RIVER_NAME = "柳湾河"
VILLAGE_NAMES = [
    "柳湾社区",
    "河东村",
    "河西村",
    "湖滨村",
    "沙洲村",
    "新港村",
    "桥头村",
    "荷塘村",
    "杨柳村",
    "石门村",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国红梅志文春林海波斌宇鹏辉玲燕"

to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform
to_wgs84 = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform


def reproject(geometry: shapely.Geometry, project: object) -> shapely.Geometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))


@dataclass
class Town:
    outline: Polygon
    seat: Point
    river: LineString
    grids: list[Polygon]
    seeds: np.ndarray
    village_of: np.ndarray  # village index per grid
    villages: list[Polygon] = field(default_factory=list)


def town_outline(rng: np.random.Generator, centre: Point) -> Polygon:
    """An irregular, roughly elliptical boundary about 9 × 6.5 km."""
    angles = np.linspace(0, 2 * math.pi, 180, endpoint=False)
    radius = np.ones_like(angles)
    for k in range(2, 7):
        radius += rng.uniform(0.02, 0.07) / (k / 2) * np.sin(k * angles + rng.uniform(0, 6.3))
    xs = centre.x + 4500 * radius * np.cos(angles)
    ys = centre.y + 3200 * radius * np.sin(angles)
    return Polygon(np.column_stack([xs, ys])).buffer(0)


def river_line(rng: np.random.Generator, centre: Point) -> LineString:
    """A meandering river crossing the town from west to east, past the town seat."""
    xs = np.linspace(-7000, 7000, 141)
    phase = rng.uniform(0, 6.3)
    ys = 600 * np.sin(xs / 2300 + phase) + 180 * np.sin(xs / 700 + 2 * phase) - 300
    return LineString(np.column_stack([centre.x + xs, centre.y + ys]))


def sample_seeds(
    rng: np.random.Generator, outline: Polygon, seat: Point, river: LineString, count: int
) -> np.ndarray:
    """Grid seeds: denser near the town seat and along the river, where people live."""
    minx, miny, maxx, maxy = outline.bounds
    xs = rng.uniform(minx, maxx, 40_000)
    ys = rng.uniform(miny, maxy, 40_000)
    points = shapely.points(xs, ys)
    inside = shapely.contains_xy(outline, xs, ys) & (
        shapely.distance(outline.exterior, points) >= 250
    )
    crowd = (
        np.minimum(shapely.distance(seat, points) / 3500, 1.0) * 0.6
        + np.minimum(shapely.distance(river, points) / 2500, 1.0) * 0.4
    )
    spacing = 380 + 560 * crowd
    seeds = np.empty((0, 2))
    for x, y, gap in zip(xs[inside], ys[inside], spacing[inside], strict=True):
        if len(seeds) == count:
            break
        if not len(seeds) or np.hypot(seeds[:, 0] - x, seeds[:, 1] - y).min() >= gap:
            seeds = np.vstack([seeds, [x, y]])
    return seeds


def bend(rng: np.random.Generator, edge: LineString) -> LineString:
    """The edge with its interior vertices displaced by a smooth noise that vanishes at the ends."""
    length = edge.length
    if length < 40:
        return edge
    dense = shapely.segmentize(edge, max(length / 14, 40.0))
    coords = np.array(dense.coords)
    t = np.linspace(0.0, 1.0, len(coords))
    amplitude = min(40.0, 0.05 * length)
    offset = np.zeros((len(coords), 2))
    for k in (1, 2, 3, 5):
        offset += np.outer(np.sin(k * math.pi * t), rng.normal(0, amplitude / k, 2))
    # Calm near the junctions, where neighbouring edges meet at an angle and could be crossed.
    ramp = np.clip(np.minimum(t, 1 - t) * length / 120.0, 0.0, 1.0)
    offset *= (ramp * ramp * (3 - 2 * ramp))[:, None]
    return LineString(coords + offset)


def tile(rng: np.random.Generator, outline: Polygon, seeds: np.ndarray) -> list[Polygon] | None:
    """Voronoi cells of ``seeds`` inside ``outline``, edges bent; None if bending broke them."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline.buffer(2000))
    clipped = [cell.intersection(outline) for cell in cells.geoms]
    network = unary_union([cell.boundary for cell in clipped])
    edges = [bend(rng, edge) for edge in shapely.line_merge(network).geoms]
    if not MultiLineString(edges).is_simple:
        return None
    faces = list(polygonize(edges))
    grids: list[Polygon | None] = [None] * len(seeds)
    for face in faces:
        inside = [i for i, seed in enumerate(seeds) if face.contains(Point(seed))]
        if len(inside) != 1 or grids[inside[0]] is not None:
            return None
        grids[inside[0]] = face
    if any(grid is None for grid in grids):
        return None
    return grids  # type: ignore[return-value]


def assign_villages(rng: np.random.Generator, seeds: np.ndarray, count: int) -> np.ndarray:
    """Group grid seeds into ``count`` villages by a few rounds of k-means."""
    centres = seeds[rng.choice(len(seeds), count, replace=False)]
    for _ in range(30):
        labels = np.argmin(((seeds[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        centres = np.array(
            [
                seeds[labels == k].mean(0) if (labels == k).any() else centres[k]
                for k in range(count)
            ]
        )
    return labels


def build_town(seed: int) -> Town | None:
    rng = np.random.default_rng(seed)
    centre = Point(to_utm(*CENTRE_LONLAT))
    outline = town_outline(rng, centre)
    river = river_line(rng, centre)
    seat = (
        river.interpolate(0.5, normalized=True)
        .buffer(350)
        .exterior.interpolate(0.25, normalized=True)
    )
    seeds = sample_seeds(rng, outline, seat, river, 60)
    if len(seeds) < 56:
        return None
    grids = tile(rng, outline, seeds)
    if grids is None:
        return None
    village_of = assign_villages(rng, seeds, len(VILLAGE_NAMES))
    outline = unary_union(grids)  # the bent outer edges are the town's boundary now
    town = Town(outline, seat, river, grids, seeds, village_of)
    for k in range(len(VILLAGE_NAMES)):
        members = [grids[i] for i in np.flatnonzero(village_of == k)]
        union = unary_union(members)
        if len(members) < 3 or union.geom_type != "Polygon" or len(union.interiors):
            return None
        town.villages.append(union)
    return town


def wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.set_precision(reproject(geometry, to_wgs84), 10**-DECIMALS)


def check(town: Town, grids_wgs: list[shapely.Geometry]) -> None:
    """Refuse to write a town whose grids are invalid, overlap or leave gaps."""
    assert all(grid.is_valid and grid.geom_type == "Polygon" for grid in grids_wgs)
    back = [reproject(grid, to_utm) for grid in grids_wgs]
    union = unary_union(back)
    overlap = sum(g.area for g in back) - union.area
    assert overlap < 1.0, f"grids overlap by {overlap:.1f} m²"
    assert union.geom_type == "Polygon" and not union.interiors, "grids leave a gap"
    assert abs(union.area - town.outline.area) < 10, "grids do not cover the town"


def feature(
    code: str, name: str, level: str, parent: str | None, geometry: object, **extra: object
) -> dict:
    properties = {"code": code, "name": name, "level": level, **extra}
    if parent:
        properties["parent"] = parent
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": mapping(geometry) if geometry is not None else None,
    }


CHECKPOINT_PLACES = ("村口", "文化广场", "祠堂", "小学门口", "卫生室", "老桥", "菜市场")
RIVERSIDE_PLACES = ("堤段", "排涝站", "河埠头")
CHECKPOINT_SHARES = (0.0, 0.55, 0.55)
"""Where a grid's checkpoints sit: its representative point, then 55 % of the way from it to
the boundary at a third and two thirds of its length (inside: checked, else pulled in)."""


def checkpoints(code: str, number: int, grid: Polygon, riverside: bool) -> list[dict]:
    """A few checkpoints of a grid (``{"id","name","lon","lat"}``), placed by its shape alone
    (no random draw: the other files stay as they were)."""
    centre = grid.representative_point()
    places = RIVERSIDE_PLACES if riverside else CHECKPOINT_PLACES
    found = []
    for n, share in enumerate(CHECKPOINT_SHARES):
        edge = grid.exterior.interpolate(n / len(CHECKPOINT_SHARES), normalized=True)
        point = centre
        for pull in (share, share / 2, 0.0):
            candidate = LineString([centre, edge]).interpolate(pull, normalized=True)
            if grid.contains(candidate):
                point = candidate
                break
        lon, lat = wgs84(point).coords[0]
        name = places[(number + n) % len(places)]
        found.append(
            {
                "id": f"{code}-CP{n + 1}",
                "name": name,
                "lon": round(lon, DECIMALS),
                "lat": round(lat, DECIMALS),
            }
        )
    return found


def person_names(rng: np.random.Generator) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        given = "".join(rng.choice(list(GIVEN), rng.choice([1, 2], p=[0.35, 0.65])))
        name = str(rng.choice(list(SURNAMES))) + given
        if name not in seen:
            seen.add(name)
            yield name


def write(out: Path, town: Town, seed: int) -> None:
    rng = np.random.default_rng(seed + 1)
    grids_wgs = [wgs84(grid) for grid in town.grids]
    check(town, grids_wgs)

    # Order grids by village, then west → east, so codes read naturally on the map.
    order = sorted(range(len(town.grids)), key=lambda i: (town.village_of[i], town.seeds[i][0]))
    village_rank = {
        k: rank
        for rank, k in enumerate(
            sorted(
                set(town.village_of.tolist()),
                key=lambda k: town.villages[k].centroid.distance(town.seat),
            )
        )
    }
    grid_codes: dict[int, str] = {}
    village_codes: dict[int, str] = {}
    counters: dict[int, int] = {}
    for i in sorted(order, key=lambda i: (village_rank[town.village_of[i]], town.seeds[i][0])):
        k = int(town.village_of[i])
        v = village_rank[k] + 1
        village_codes[k] = f"V{v:02d}"
        counters[k] = counters.get(k, 0) + 1
        grid_codes[i] = f"G{v:02d}{counters[k]:02d}"
    village_name = {k: VILLAGE_NAMES[village_rank[k]] for k in village_codes}

    features = [
        feature(COUNTY[0], COUNTY[1], "county", None, None, note="fictional county, Jiangxi"),
        feature(TOWN[0], TOWN[1], "town", COUNTY[0], wgs84(town.outline), seat="柳湾镇人民政府"),
    ]
    for k in sorted(village_codes, key=lambda k: village_codes[k]):
        features.append(
            feature(village_codes[k], village_name[k], "village", TOWN[0], wgs84(town.villages[k]))
        )
    river_zone = town.river.buffer(600)
    for i in sorted(grid_codes, key=lambda i: grid_codes[i]):
        k = int(town.village_of[i])
        number = int(grid_codes[i][-2:])
        riverside = town.grids[i].intersects(river_zone)
        extra: dict[str, object] = {"riverside": True} if riverside else {}
        extra["checkpoints"] = checkpoints(grid_codes[i], number, town.grids[i], riverside)
        features.append(
            feature(
                grid_codes[i],
                f"{village_name[k]}第{number}网格",
                "grid",
                village_codes[k],
                grids_wgs[i],
                **extra,
            )
        )
    out.mkdir(parents=True, exist_ok=True)
    dump_geojson(out / "grids.geojson", features)

    water = town.river.buffer(70, cap_style="flat").intersection(town.outline.buffer(1500))
    centreline = town.river.intersection(town.outline.buffer(1500))
    dump_geojson(
        out / "river.geojson",
        [
            {
                "type": "Feature",
                "properties": {"name": RIVER_NAME, "kind": "water"},
                "geometry": mapping(wgs84(water)),
            },
            {
                "type": "Feature",
                "properties": {"name": RIVER_NAME, "kind": "centreline"},
                "geometry": mapping(wgs84(centreline)),
            },
        ],
    )

    names = person_names(rng)
    leaders = write_members(
        out / "members.csv", rng, names, grid_codes, village_codes, village_name, town
    )
    write_sensors(out / "sensors.csv", rng, town, grid_codes)
    grid_village = {grid_codes[i]: village_name[int(town.village_of[i])] for i in grid_codes}
    write_cameras(out / "cameras.csv", rng, town, grid_codes, grid_village, leaders)
    print(f"wrote {len(grid_codes)} grids in {len(village_codes)} villages to {out}")


def dump_geojson(path: Path, features: list[dict]) -> None:
    # One feature per line: small to serve, readable in a diff.
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    text = '{"type":"FeatureCollection","features":[\n' + lines + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def phone(n: int) -> str:
    return f"1380000{n:04d}"


def write_members(
    path: Path,
    rng: np.random.Generator,
    names: Iterator[str],
    grid_codes: dict[int, str],
    village_codes: dict[int, str],
    village_name: dict[int, str],
    town: Town,
) -> dict[str, str]:
    """Members per grid, village, town; returns grid code → its leader's member code."""
    rows: list[dict[str, str]] = []

    def add(code: str, role: str, areas: list[str], duty: str = "") -> None:
        rows.append(
            {
                "code": code,
                "name": next(names),
                "role": role,
                "grids": ";".join(areas),
                "phone": phone(len(rows) + 1),
                "mqtt_client_id": code.lower(),
                "notify": "",
                "duty": duty,
            }
        )

    leaders: dict[str, str] = {}
    for i in sorted(grid_codes, key=lambda i: grid_codes[i]):
        grid = grid_codes[i]
        digits = grid[1:]
        leaders[grid] = f"GL{digits}"
        add(f"GL{digits}", "grid_leader", [grid])
        workers = 2 if town.grids[i].area < 0.6e6 and rng.random() < 0.5 else 1
        for w in range(workers):
            add(f"GW{digits}{'AB'[w]}", "grid_worker", [grid])
    for k in sorted(village_codes, key=lambda k: village_codes[k]):
        v = village_codes[k][1:]
        add(f"VC{v}A", "village_cadre", [village_codes[k]])  # 村(居)委会主任
        if village_name[k].endswith("社区") or int(v) % 3 == 1:
            add(f"VC{v}B", "village_cadre", [village_codes[k]])
    for n in range(1, 5):  # the command centre is staffed around the clock in two shifts
        add(f"TO{n:02d}", "town_operator", [TOWN[0]], "08:00-20:00" if n <= 2 else "20:00-08:00")
    grids_sorted = sorted(grid_codes.values())
    beats = np.array_split(np.array(grids_sorted), 5)
    for n, beat in enumerate(beats, start=1):
        add(f"PO{n:02d}", "police", [str(g) for g in beat])  # 派出所 社区民警
    villages_sorted = sorted(village_codes.values())
    for n, part in enumerate(np.array_split(np.array(villages_sorted), 3), start=1):
        add(f"LA{n:02d}", "legal_adviser", [str(v) for v in part])  # 一村一法律顾问

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return leaders


def grid_at(town: Town, grid_codes: dict[int, str], point: Point) -> str:
    for i, grid in enumerate(town.grids):
        if grid.contains(point):
            return grid_codes[i]
    raise ValueError(f"{point} lies in no grid")


def lonlat(point: Point) -> tuple[float, float]:
    lon, lat = to_wgs84(point.x, point.y)
    return round(lon, 6), round(lat, 6)


def write_sensors(
    path: Path, rng: np.random.Generator, town: Town, grid_codes: dict[int, str]
) -> None:
    rows: list[list[object]] = []
    reach = town.river.intersection(town.outline)
    for n, fraction in enumerate(np.linspace(0.06, 0.94, 6), start=1):
        point = reach.interpolate(float(fraction), normalized=True)
        base = 18.0 - 0.15 * n  # water flows east towards the lake: lower stages downstream
        rows.append(
            [
                f"WL{n:02d}",
                f"{RIVER_NAME}{n}号水位站",
                "water_level",
                *lonlat(point),
                "m",
                round(base, 2),
                round(base + 1.0, 2),
                round(base + 1.8, 2),
                round(base + 2.5, 2),
            ]
        )
    for n in range(1, 6):
        point = town.grids[int(rng.integers(len(town.grids)))].representative_point()
        rows.append(
            [
                f"RF{n:02d}",
                f"{grid_at(town, grid_codes, point)}雨量站",
                "rainfall",
                *lonlat(point),
                "mm/h",
                10,
                20,
                30,
                50,
            ]
        )
    for n in range(1, 5):
        near_seat = town.seat.buffer(900)
        candidates = [g for g in town.grids if g.intersects(near_seat)]
        point = candidates[n % len(candidates)].representative_point()
        rows.append(
            [
                f"SM{n:02d}",
                f"烟感{n}号（{grid_at(town, grid_codes, point)}）",
                "smoke",
                *lonlat(point),
                "%obs/m",
                1,
                2,
                4,
                8,
            ]
        )
    header = SENSOR_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_cameras(
    path: Path,
    rng: np.random.Generator,
    town: Town,
    grid_codes: dict[int, str],
    grid_village: dict[str, str],
    leaders: dict[str, str],
) -> None:
    sites = [
        "路口",
        "桥头",
        "码头",
        "堤坝",
        "学校门口",
        "卫生院",
        "菜市场",
        "村委会",
        "渡口",
        "泵站",
    ]
    rows: list[list[object]] = []
    chosen = sorted(
        rng.choice(len(town.grids), 38, replace=False).tolist(), key=lambda i: grid_codes[i]
    )
    for n, i in enumerate(chosen, start=1):
        grid = town.grids[i]
        minx, miny, maxx, maxy = grid.bounds
        while True:
            point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if grid.buffer(-30).contains(point):
                break
        code = f"CAM{n:03d}"
        kind = "ptz" if n % 4 == 0 else "fixed"
        site = sites[int(rng.integers(len(sites)))]
        grid_code = grid_codes[i]
        name = f"{grid_village[grid_code]}{site}（{grid_code}）"
        rows.append(camera_row(code, name, kind, point, leaders[grid_code], grid_code))
    for n in (1, 2):
        point = town.seat if n == 1 else town.river.interpolate(0.8, normalized=True)
        grid = grid_at(town, grid_codes, point)
        rows.append(camera_row(f"UAV{n:02d}", f"巡河无人机{n}号", "drone", point, "TO01", grid))
    header = CAMERA_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def camera_row(
    code: str, name: str, kind: str, point: Point, maintainer: str, grid: str
) -> list[object]:
    lower = code.lower()
    onvif = "" if kind == "drone" else f"http://127.0.0.1:8899/onvif/{lower}/device_service"
    snapshot = "" if kind == "drone" else f"http://127.0.0.1:8899/snapshot/{lower}.jpg"
    sub = "" if kind == "drone" else f"rtsp://127.0.0.1:8554/demo/{lower}/sub"
    return [
        code,
        name,
        kind,
        *lonlat(point),
        f"rtsp://127.0.0.1:8554/demo/{lower}",
        sub,
        onvif,
        snapshot,
        maintainer,
        grid,
    ]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR
    for seed in range(FIRST_SEED, FIRST_SEED + 200):
        town = build_town(seed)
        if town is not None:
            write(out, town, seed)
            return
    raise SystemExit("no seed gave a valid town")


if __name__ == "__main__":
    main()
