"""Bad input gets a clear error and changes nothing: a point outside every grid, an unknown
type, an oversized or fake photo, a replayed challenge, a flood of posts (429)."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from gridhub.alerts.models import Alert, Delivery
from gridhub.reports.models import Report, ReportPhoto
from tests.reports.conftest import OUTSIDE, form, report_settings, solved


def counts(sessions) -> tuple[int, int, int, int]:
    with sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Report, ReportPhoto, Alert, Delivery)
        )


def jpeg(size: tuple[int, int] = (64, 48), gps: bool = False, noise: int = 0) -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB") if noise else Image.new("RGB", size, "red")
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (29.0, 6.0, 1.0), 3: "E", 4: (115.0, 55.0, 2.0)}
        exif[0x0110] = "Resident's phone"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (form(point=OUTSIDE), 400, "outside every grid"),
        (form(service="potholes"), 404, "unknown service_code 'potholes'"),
        (form(description="  "), 400, "description is required"),
        ({**form(), "lat": "north"}, 400, "lat must be a number"),
        (form(phone="call me"), 400, "phone must be digits"),
        (form(crs="utm"), 400, "crs must be one of"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(client, sessions, body, status, says):
    before = counts(sessions)
    response = client.post("/open311/v2/requests.json", data={**body, "altcha": solved(client)})
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and says in error["description"]
    assert counts(sessions) == before


def test_photos_must_be_small_jpeg_or_png_and_lose_their_gps(client, sessions, settings):
    before = counts(sessions)
    big = jpeg((3000, 3000), noise=1)
    assert len(big) > settings.reports.max_photo_bytes
    oversized = client.post("/open311/v2/requests.json", data={**form(), "altcha": solved(client)},
                            files={"media": ("big.jpg", big, "image/jpeg")})  # fmt: skip
    assert oversized.status_code == 413 and "MB per photo" in oversized.json()[0]["description"]
    fake = client.post("/open311/v2/requests.json", data={**form(), "altcha": solved(client)},
                       files={"media": ("x.jpg", b"GIF89a not really", "image/jpeg")})  # fmt: skip
    assert fake.status_code == 400 and "JPEG or PNG" in fake.json()[0]["description"]
    assert counts(sessions) == before

    with_gps = jpeg(gps=True)
    assert Image.open(io.BytesIO(with_gps)).getexif().get_ifd(0x8825)  # the phone's position
    ok = client.post("/open311/v2/requests.json", data={**form(), "altcha": solved(client)},
                     files={"media": ("p.jpg", with_gps, "image/jpeg")})  # fmt: skip
    assert ok.status_code == 201, ok.text
    token = ok.json()[0]["token"]
    [link] = client.post("/report/api/lookup", json={"token": token}).json()["photos"]
    served = client.get(link)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (64, 48) and not image.getexif()  # no GPS, no camera, nothing
    assert client.get(link.replace("signature=", "signature=0")).status_code == 403


def test_a_challenge_is_needed_and_good_once(client, sessions):
    before = counts(sessions)
    missing = client.post("/open311/v2/requests.json", data=form())
    assert missing.status_code == 400 and "challenge" in missing.json()[0]["description"]
    answer = solved(client)
    assert client.post("/open311/v2/requests.json", data={**form(), "altcha": answer}).is_success
    replay = client.post("/open311/v2/requests.json", data={**form(), "altcha": answer})
    assert replay.status_code == 400 and "used already" in replay.json()[0]["description"]
    assert counts(sessions)[0] == before[0] + 1


@pytest.fixture
def settings(database_url, tmp_path):
    return report_settings(
        database_url, tmp_path, limits={"per_address": "3/hour", "per_phone": "2/hour"}
    )


def test_a_flood_of_posts_is_refused_with_429(client, sessions):
    statuses = [
        client.post(
            "/open311/v2/requests.json", data={**form(), "altcha": solved(client)}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [201, 201, 201, 429, 429, 429]
    refused = client.post("/open311/v2/requests.json", data={**form(), "altcha": solved(client)})
    assert "at most 3 per 1 hour" in refused.json()[0]["description"]
    assert int(refused.headers["Retry-After"]) > 0
    assert counts(sessions)[0] == 3


def test_one_phone_number_is_limited_whatever_the_address(client, sessions):
    posts = [
        client.post("/open311/v2/requests.json",
                    data={**form(phone="13900000000"), "altcha": solved(client)}).status_code
        for _ in range(3)
    ]  # fmt: skip
    assert posts == [201, 201, 429]
    assert counts(sessions)[0] == 2
