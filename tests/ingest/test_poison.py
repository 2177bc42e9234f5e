"""Messages the store cannot hold, among good ones, through a real Mosquitto into each store.

A raw NUL byte, a NUL inside a JSON string, and timestamps outside the sane window (year 1,
year 9999, the epoch) each become one dead letter with a reason saying what is wrong. The
good check-ins of the same batch are stored and acknowledged: a restart of the hub gets
nothing delivered again.
"""

import time
from pathlib import Path

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import load_settings
from gridhub.ingest.models import Checkin
from gridhub.ingest.pipeline import BatchContext, Pipeline
from gridhub.ingest.service import BatchRunner
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter
from tests.ingest.conftest import message
from tests.ingest.mqtt_helpers import checkin, count, publisher, start_service, wait_for
from tests.support.mosquitto import Mosquitto

TOPIC = "gridhub/v1/patrol/W1/checkin"


def _with(n: int, **fields: object) -> bytes:
    _, payload = checkin(n)
    return orjson.dumps({**payload, **fields})


POISON = {
    b"\0\0{}": "not JSON",
    _with(101, note="tea\u0000break"): "NUL character",
    _with(102, id="nul\u0000id"): "NUL character",
    _with(103, ts="0001-01-01T00:00:00+08:00"): "before 2000-01-01",
    _with(104, ts="9999-12-31T23:59:59-01:00"): "after 9999-12-31",
    _with(105, ts=0): "before 2000-01-01",
    _with(106, ts="2100-01-01T00:00:00Z"): "timestamp in the future",
}


def test_a_poison_message_never_takes_its_batch_down(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto.url,
        mqtt={"client_id": "hub-poison"},
        ingest={"batch_wait_ms": 300},  # so the poison shares a batch with good check-ins
    )
    service = start_service(settings, town)
    try:
        client = publisher(mosquitto.port)
        sent = [client.publish(TOPIC, orjson.dumps(checkin(n)[1]), qos=1) for n in range(5)]
        sent += [client.publish(TOPIC, payload, qos=1) for payload in POISON]
        sent += [client.publish(TOPIC, orjson.dumps(checkin(n)[1]), qos=1) for n in range(5, 10)]
        for info in sent:
            info.wait_for_publish(5)
        client.loop_stop()
        client.disconnect()
        wait_for(lambda: count(town, Checkin) == 10 and refused(town) == len(POISON))
        assert service.runner.totals["messages"] == 10 + len(POISON)  # all acknowledged
    finally:
        service.stop()
    service = start_service(settings, town)  # anything left unacknowledged comes again now
    try:
        time.sleep(1)  # a redelivery would arrive within this
        assert service.runner.totals["messages"] == 0
    finally:
        service.stop()
    with town() as session:
        letters = {row.payload_excerpt: row.reason for row in session.scalars(select(DeadLetter))}
        stored = sorted(session.scalars(select(Checkin.msg_id)))
    assert stored == sorted(f"c{n}" for n in range(10))
    assert letters[r"\x00\x00{}"].startswith("not JSON")
    # Letters of one sender with the same reason are one row (its first excerpt, counted).
    for reason in set(POISON.values()):
        assert any(reason in said for said in letters.values()), (reason, letters)
    for payload, reason in POISON.items():
        excerpt = payload.decode().replace("\0", r"\x00")
        if excerpt in letters:
            assert reason in letters[excerpt], (payload, letters[excerpt])
    assert not any("internal error" in said for said in letters.values())


def refused(sessions: sessionmaker[Session]) -> int:
    """Messages dead-lettered, repeats included."""
    with sessions() as session:
        return session.scalar(select(func.coalesce(func.sum(DeadLetter.repeats), 0))) or 0


def test_an_unexpected_error_in_one_message_names_itself_and_spares_the_rest(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    """A step that fails where nothing expected it to, for one message: the batch is run
    again one message at a time, that message becomes a dead letter saying what went wrong,
    the others are stored, and the whole batch is acknowledged."""

    def explode(ctx: BatchContext) -> None:
        if any(item.payload.id == "c3" for item in ctx.items):
            raise RuntimeError("the grid index is being rebuilt")

    acked: list[list[Received]] = []
    runner = BatchRunner(Pipeline([*pipeline.steps, explode]), town, lambda b: acked.append(b))
    batch = [message(TOPIC, checkin(n)[1]) for n in range(6)]
    runner(batch)
    assert acked == [batch]
    with town() as session:
        stored = sorted(session.scalars(select(Checkin.msg_id)))
        reasons = list(session.scalars(select(DeadLetter.reason)))
    assert stored == ["c0", "c1", "c2", "c4", "c5"]
    assert reasons == [
        "the hub could not process it (RuntimeError: the grid index is being rebuilt)"
    ]
