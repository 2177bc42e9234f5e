"""A photo attached to a check-in: re-encoded without EXIF when served, its EXIF place kept as
data, served only within scope and attached only by the check-in's own member."""

import io
import uuid
from datetime import UTC, datetime

from PIL import Image

from gridhub.db import transaction
from tests.support.factories import auth_header, grid_square, make_user

G11 = grid_square(0).centroid


def jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGB", size, "green")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (32.0, 0.0, 18.0), 3: "E", 4: (118.0, 48.0, 18.0)}
    exif[0x0110] = "Worker's phone"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def checkin(client, headers) -> int:
    body = {"id": uuid.uuid4().hex, "ts": datetime.now(UTC).isoformat(), "lat": G11.y,
            "lon": G11.x}  # fmt: skip
    response = client.post("/api/v1/checkins", json=body, headers=headers)
    assert response.status_code == 201
    return response.json()["id"]


def viewer(sessions, settings, scope: str) -> dict[str, str]:
    with transaction(sessions) as session:
        return auth_header(settings, make_user(session, f"viewer-{scope}", "viewer", scope))


def test_the_photo_round_trips_without_its_exif(client, as_member, sessions, settings):
    me = as_member("W11")
    checkin_id = checkin(client, me)
    original = jpeg()
    assert Image.open(io.BytesIO(original)).getexif()
    put = client.put(f"/api/v1/checkins/{checkin_id}/photo", content=original,
                     headers={**me, "Content-Type": "image/jpeg"})  # fmt: skip
    assert put.status_code == 200, put.text
    photo = put.json()["photo"]
    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/jpeg", 640, 480)
    assert round(photo["exif"]["lat"], 3) == 32.005 and round(photo["exif"]["lon"], 3) == 118.805
    served = client.get(photo["url"], headers=me)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (640, 480) and not image.getexif()
    assert b"Worker's phone" not in served.content
    listed = client.get("/api/v1/checkins", headers=me).json()["items"]
    assert listed[0]["photo"]["url"] == photo["url"]

    # Scope: the village's viewer sees it, another village's does not know it exists.
    assert client.get(photo["url"], headers=viewer(sessions, settings, "V1")).status_code == 200
    assert client.get(photo["url"], headers=viewer(sessions, settings, "V2")).status_code == 404


def test_only_my_checkins_take_my_photos_and_only_real_small_ones(client, as_member, settings):
    checkin_id = checkin(client, as_member("W11"))
    url = f"/api/v1/checkins/{checkin_id}/photo"
    other = client.put(url, content=jpeg(), headers=as_member("W21"))
    assert other.status_code == 403
    bad = client.put(url, content=b"GIF89a not a photo", headers=as_member("W11"))
    assert bad.status_code == 422 and "JPEG or PNG" in bad.json()["detail"]
    big = b"\xff" * (settings.ingest.max_photo_bytes + 1)
    assert client.put(url, content=big, headers=as_member("W11")).status_code == 413
    assert client.get(url, headers=as_member("W11")).status_code == 404  # nothing attached
