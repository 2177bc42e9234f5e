"""An Open311 client (httpx speaking GeoReport v2) on both stores: services, a request at a
point in a grid, followed to closed with the handler's notes; the public board; ratings."""

from lxml import etree
from sqlalchemy import func, select

from gridhub.alerts.actions import device_ack
from gridhub.alerts.models import Alert, Delivery
from gridhub.db import transaction, utcnow
from gridhub.reports.keys import create_key
from gridhub.reports.models import Report
from tests.reports.conftest import G11, form, solved
from tests.support.factories import auth_header, make_user

PERSONAL = ("李四", "13912345678", "lisi@example.cn", "村口第三家")


def test_services_are_listed_in_json_and_xml_with_their_questions(client):
    services = client.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services][:4] == ["dispute", "land", "development",
                                                          "sanitation"]  # fmt: skip
    sanitation = next(s for s in services if s["service_code"] == "sanitation")
    assert (sanitation["service_name"], sanitation["group"]) == ("环境卫生", "人居环境")
    english = client.get("/open311/v2/services.json", params={"locale": "en"}).json()
    assert english[3]["service_name"] == "Environment and sanitation"
    xml = etree.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == len(services)
    assert xml.find("service/service_code").text == "dispute"
    definition = client.get("/open311/v2/services/sanitation.json").json()
    assert definition == {"service_code": "sanitation", "attributes": []}
    missing = client.get("/open311/v2/services/nothing.xml")
    assert missing.status_code == 404
    assert etree.fromstring(missing.content).find("error/code").text == "404"


def test_a_request_reaches_the_grid_worker_and_is_followed_to_closed(client, sessions, settings):
    body = form(first_name="李四", phone="139 1234 5678", email="lisi@example.cn",
                address_string="村口第三家", altcha=solved(client))  # fmt: skip
    response = client.post("/open311/v2/requests.json", data=body)  # form-encoded, as the spec
    assert response.status_code == 201, response.text
    [created] = response.json()
    request_id, token = created["service_request_id"], created["token"]
    assert request_id.isdigit() and len(token) == 14

    # The type's routing is clear (环境卫生 → the grid's worker): sent at once, to W11 only.
    with sessions() as session:
        order = session.scalar(select(Alert).where(Alert.source_id == request_id))
        assert (order.source_type, order.kind, order.grid) == ("citizen", "sanitation", "G11")
        told = session.scalars(
            select(Delivery).where(Delivery.alert_id == order.id, Delivery.member_code.is_not(None))
        ).all()
    assert {d.member_code for d in told} == {"W11"}
    assert told[0].payload["service_request_id"] == request_id
    assert told[0].target == "gridhub/v1/members/W11/alerts"

    status = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
    assert (status["status"], status["gridhub_state"]) == ("open", "dispatched")
    assert status["gridhub_state_label"] == "已派单"
    assert status["service_code"] == "sanitation" and status["requested_datetime"]

    # The worker takes it on from the phone (as on members/W11/ack), then resolves it.
    with transaction(sessions) as session:
        device_ack(session, "W11", order.id, "in_progress", utcnow(), "明天一早清运",
                   client.app.state.hub.alert_context)  # fmt: skip
    status = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
    assert (status["gridhub_state"], status["status_notes"]) == ("in_progress", "明天一早清运")
    with transaction(sessions) as session:
        operator = make_user(session, "op", "operator")
    headers = auth_header(settings, operator)
    resolved = client.post(f"/api/v1/alerts/{order.id}/resolve", headers=headers,
                           json={"note": "已清运，路口已打扫干净"})  # fmt: skip
    assert resolved.status_code == 200, resolved.text

    xml = etree.fromstring(client.get(f"/open311/v2/requests/{request_id}.xml").content)
    request = xml.find("request")
    assert request.find("status").text == "closed"
    assert request.find("status_notes").text == "已清运，路口已打扫干净"
    assert request.find("gridhub_state_label").text == "已完成"
    assert request.find("updated_datetime").text >= request.find("requested_datetime").text
    by_token = client.get(f"/open311/v2/tokens/{token}.json").json()
    assert by_token == [{"service_request_id": request_id, "token": token}]

    # In public: no name, phone, e-mail, address or exact point, anywhere.
    public = [
        client.get(f"/open311/v2/requests/{request_id}.json"),
        client.get(f"/open311/v2/requests/{request_id}.xml"),
        client.get("/open311/v2/requests.json"),
        client.get("/report/api/board"),
    ]
    for answer in public:
        assert answer.status_code == 200
        assert not [p for p in PERSONAL if p in answer.text], answer.text
        assert f"{G11.x:.6f}"[:9] not in answer.text  # the point only to ~100 m
    board = client.get("/report/api/board").json()
    [item] = board["items"]
    assert (item["service_name"], item["village_name"], item["state_label"]) == (
        "环境卫生", "village V1", "已完成",
    )  # fmt: skip
    assert item["public_reply"] == "已清运，路口已打扫干净"

    # The console shows who reported, to those who handle reports.
    detail = client.get(f"/api/v1/reports/{request_id}", headers=headers).json()
    assert detail["contact"]["phone"] == "13912345678"
    assert [u["state"] for u in detail["updates"]] == [
        "received", "dispatched", "in_progress", "done",
    ]  # fmt: skip


def test_rating_once_by_the_holder_of_the_tracking_code(client, sessions):
    [created] = client.post("/open311/v2/requests.json",
                            data=form(altcha=solved(client))).json()  # fmt: skip
    token = created["token"]
    early = client.post("/report/api/rate", json={"token": token, "rating": "satisfied"})
    assert early.status_code == 409 and "not done" in early.json()["detail"]
    with sessions() as session:
        order_id = session.scalar(
            select(Alert.id).where(Alert.source_id == created["service_request_id"])
        )
    with transaction(sessions) as session:
        device_ack(session, "W11", order_id, "resolved", utcnow(), "已处理",
                   client.app.state.hub.alert_context)  # fmt: skip
    stranger = client.post(
        "/report/api/rate", json={"token": "ABCD-EFGH-JKMN", "rating": "dissatisfied"}
    )
    assert stranger.status_code == 404
    rating = {"token": token.lower(), "rating": "fair", "comment": "慢了点"}
    rated = client.post("/report/api/rate", json=rating)
    assert rated.status_code == 200 and rated.json()["rating"] == "fair"
    again = client.post("/report/api/rate", json={"token": token, "rating": "satisfied"})
    assert again.status_code == 409 and "rated already" in again.json()["detail"]
    with sessions() as session:
        report = session.get(Report, int(created["service_request_id"]))
        assert (report.rating, report.rating_comment) == ("fair", "慢了点")
    lookup = client.post("/report/api/lookup", json={"token": token}).json()
    assert lookup["can_rate"] is False and lookup["timeline"][-1]["note"] == "已处理"


def test_json_posts_with_a_key_skip_the_challenge_and_gcj02_is_placed(client, sessions):
    with transaction(sessions) as session:
        _, key = create_key(session, "12345 hotline", utcnow())
    # A point picked on a GCJ-02 map (AMap, Tencent): ~500 m off in WGS84 terms, still G11.
    from gridhub.geo.crs import from_wgs84

    lon, lat = from_wgs84(G11.x, G11.y, "gcj02")
    body = {"api_key": key, "service_code": "public_order", "lat": lat, "long": lon,
            "crs": "gcj02", "description": "夜里有人撬车"}  # fmt: skip
    response = client.post("/open311/v2/requests.json", json=body)
    assert response.status_code == 201, response.text
    request_id = response.json()[0]["service_request_id"]
    with sessions() as session:
        report = session.get(Report, int(request_id))
        assert (report.grid, report.routed_to, report.handlers) == ("G11", "role:police", ["P1"])
        assert abs(report.lon - G11.x) < 1e-6 and abs(report.lat - G11.y) < 1e-6
    trusted = client.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": key})
    assert trusted.json()[0]["description"] == "夜里有人撬车"
    assert client.get(f"/open311/v2/requests/{request_id}.json").json()[0]["description"] is None
    forged = client.post("/open311/v2/requests.json", json={**body, "api_key": "o311_nope"})
    assert forged.status_code == 403
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
