"""The hub's paho-mqtt client: buffered socket reads that pause while the hub is full, a lean
path for plain PUBLISH packets, and PUBACKs written a batch at a time."""

import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt

PublishHandler = Callable[[str, bytes, int, int], None]
"""Called with (topic, payload, packet id, QoS) for each PUBLISH received."""
_U16 = struct.Struct("!H")
_PUBACK = struct.Struct("!BBH")

READ_CHUNK_BYTES = 256 * 1024
"""Socket read size of the hub's client: one recv() brings in hundreds of check-ins."""
ROOM_WAIT_S = 0.05
"""Longest a paused read waits for room before paho's loop runs again (pings, acks, stop)."""


def always_room(_timeout: float) -> bool:
    return True


class BufferedReadClient(mqtt.Client):
    """paho-mqtt, reading its socket in large chunks.

    paho reads each packet with recv(1), recv(1), recv(n), after one select() per packet;
    at thousands of messages a second those system calls cost more than the messages.
    Here ``_sock_recv`` (paho's single read primitive, with socket ``recv`` semantics)
    serves paho from a buffer filled READ_CHUNK_BYTES at a time, and ``loop_read`` drains
    the buffer before paho asks select() again, so no buffered packet waits.

    Before reading more from the socket it asks ``wait_for_room``: while the hub holds as
    many messages as it may, the broker keeps the rest. Without that a burst is read as fast
    as the broker sends it (Mosquitto 2.0 with max_queued_messages 0 ignores the receive
    maximum), and this thread, busy with it, competes for the GIL and the cores with the
    thread storing batches: measured, a batch of 500 then took 100–800 ms for its 10 ms of
    CPU, until the whole burst had been read.
    """

    def __init__(
        self,
        *args: Any,
        wait_for_room: Callable[[float], bool] = always_room,
        on_publish_received: PublishHandler | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._wait_for_room = wait_for_room
        self._on_publish_received = on_publish_received
        self._read_buffer = b""
        self._read_pos = 0
        self._read_socket: object = None
        self.connect_error: OSError | None = None

    def reconnect(self) -> mqtt.MQTTErrorCode:
        # paho's on_connect_fail is not told why; keep the reason (refused, TLS...) for it.
        try:
            return super().reconnect()
        except OSError as exc:
            self.connect_error = exc
            raise

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_socket is not self._sock:  # a new connection: drop the old one's bytes
            self._read_buffer, self._read_pos, self._read_socket = b"", 0, self._sock
        if self._read_pos >= len(self._read_buffer):
            if not self._wait_for_room(ROOM_WAIT_S):
                # paho keeps a packet read in part and goes on with it on the next loop.
                raise BlockingIOError
            chunk = super()._sock_recv(READ_CHUNK_BYTES)
            if not chunk:
                return chunk  # the broker closed the connection
            self._read_buffer, self._read_pos = chunk, 0
        end = self._read_pos + bufsize
        data = self._read_buffer[self._read_pos : end]
        self._read_pos += len(data)
        return data

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while (
            rc == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
            and self._sock is not None
            and self._read_pos < len(self._read_buffer)
        ):
            rc = super().loop_read(max_packets)
        return rc

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        # paho builds an MQTT 5 Properties object (two dicts of every property name), an
        # MQTTMessage and a walk of its topic matcher for each PUBLISH: about half of this
        # thread's time in a burst. A QoS 0/1 PUBLISH without properties, the whole of a
        # check-in burst, goes straight to ``on_publish_received``; anything else to paho.
        header, packet = self._in_packet["command"], self._in_packet["packet"]
        qos = (header & 0x06) >> 1
        size = len(packet)
        if self._on_publish_received is None or qos > 1 or size < 2:
            return super()._handle_publish()
        (length,) = _U16.unpack_from(packet)
        position = 2 + length + (2 if qos else 0)
        if not length or position > size:
            return super()._handle_publish()  # paho refuses it as malformed
        if self._protocol == mqtt.MQTTv5:
            if position >= size or packet[position] != 0:
                return super()._handle_publish()  # properties: paho decodes them
            position += 1
        try:
            topic = packet[2 : 2 + length].decode()
        except UnicodeDecodeError:
            return super()._handle_publish()
        mid = _U16.unpack_from(packet, 2 + length)[0] if qos else 0
        self._on_publish_received(topic, bytes(packet[position:]), mid, qos)
        if qos and not self._manual_ack:
            return self._send_puback(mid)
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Sequence[int]) -> None:
        """PUBACK QoS 1 messages in one write: paho's ack() queues a packet, wakes its loop
        and sends once per message."""
        if mids:
            packet = b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids])
            self._packet_queue(mqtt.PUBACK, packet, 0, 1)
