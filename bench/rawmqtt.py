"""A raw-socket MQTT 3.1.1 QoS 1 publisher of check-ins (paho's publisher tops out near 4,800
msg/s; pre-encoded frames over one socket push ~94,000), for the ingest benchmarks."""

import socket
import struct
import threading
import time
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

TOPIC = b"gridhub/v1/patrol/W1/checkin"
MAX_UNACKED = 30_000
"""Publishes in flight at most: stays inside the 16-bit packet id space."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _frame(pid: int, payload: bytes) -> bytes:
    body = struct.pack("!H", len(TOPIC)) + TOPIC + struct.pack("!H", pid) + payload
    return b"\x32" + _varint(len(body)) + body


def _payload(n: int, tag: str) -> bytes:
    return orjson.dumps(
        {"id": f"{tag}{n}", "ts": time.time() * 1000, "lon": 113.305, "lat": 23.105}
    )


def publish(
    port: int,
    count: int,
    tag: str,
    rate: float | None,
    pre_encode: bool = False,
    times: "tuple[Synchronized[float], Synchronized[float]] | None" = None,
) -> None:
    """Publish ``count`` check-ins at ``rate`` msg/s (None: as fast as the socket takes them);
    wait for every PUBACK before returning.

    ``pre_encode`` builds every frame before the first is sent (a burst then runs at the
    socket's pace, not orjson's); otherwise payloads are encoded just before sending, so that
    ``ts`` is the publish time. ``times`` receives (first send, last PUBACK) in
    ``time.monotonic()`` seconds, a clock shared by every process of the machine.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    client_id = f"bench-pub-{tag}".encode()
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(client_id)) + client_id
    sock.sendall(b"\x10" + _varint(len(variable)) + variable)
    assert sock.recv(4)[:2] == b"\x20\x02"
    frames = [_frame(i % 65535 + 1, _payload(i, tag)) for i in range(count)] if pre_encode else []
    acked = 0
    done = threading.Event()

    def read_acks() -> None:
        nonlocal acked
        buffer = b""
        while acked < count:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
            whole = len(buffer) // 4
            acked += whole
            buffer = buffer[whole * 4 :]
        if times is not None:
            times[1].value = time.monotonic()
        done.set()

    threading.Thread(target=read_acks, daemon=True).start()
    started = time.monotonic()
    if times is not None:
        times[0].value = started
    chunk = 200 if rate is None else max(1, int(rate / 100))
    sent = 0
    while sent < count:
        while sent - acked > MAX_UNACKED:
            time.sleep(0.001)
        n = min(chunk, count - sent)
        if pre_encode:
            sock.sendall(b"".join(frames[sent : sent + n]))
        else:
            sock.sendall(
                b"".join(_frame((sent + i) % 65535 + 1, _payload(sent + i, tag)) for i in range(n))
            )
        sent += n
        if rate is not None:
            pause = started + sent / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    done.wait(600)
    sock.close()


def noop_subscriber(
    port: int, client_id: str, on_message: Callable[[object, object, object], None]
) -> mqtt.Client:
    """The baselines' receiver: a paho QoS 1 subscriber to TOPIC as is, subscribed and looping
    when this returns (``loop_stop`` and ``disconnect`` it when done)."""
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", port)
    client.subscribe(TOPIC.decode(), qos=1)
    client.loop_start()
    subscribed.wait(10)
    return client
