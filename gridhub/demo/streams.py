"""The demo town's cameras as real RTSP streams: GStreamer's RTSP server (Debian's
``gir1.2-gst-rtsp-server-1.0``, which ``setup.sh`` installs) serving a test pattern at every
stream URL of ``cameras.csv``, so the demo cameras are online and show pictures. Two stay
black or frozen on purpose, as real ones do.

GStreamer's introspection bindings belong to the system Python, not the venv: the server is
this very file run by ``/usr/bin/python3`` as a child process.
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

SYSTEM_PYTHON = "/usr/bin/python3"
START_TIMEOUT_S = 10.0
FAULTY = {"CAM007": "black", "CAM013": "frozen"}
"""Cameras whose picture is wrong on purpose: the probes call them degraded."""
PATTERNS = {"moving": "ball", "black": "black", "frozen": "pinwheel"}
# Small and slow: forty cameras probed in turn must not load a laptop.
PIPELINE = (
    "( videotestsrc is-live=1 pattern={pattern} ! video/x-raw,width=320,height=240,framerate=5/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5"
    " ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def mounts(cameras_csv: Path) -> tuple[int, dict[str, str]]:
    """The port and ``{path: pattern}`` of every demo stream URL on this host."""
    port = 0
    paths: dict[str, str] = {}
    with cameras_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for url in (row.get("stream_url"), row.get("sub_stream_url")):
                if not url:
                    continue
                parts = urlsplit(url)
                port = parts.port or 554
                paths[parts.path] = FAULTY.get(row["code"], "moving")
    return port, paths


def unavailable() -> str | None:
    """None if the streams can be served here, else why not."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
        capture_output=True,
    )
    if probe.returncode:
        return "GStreamer's RTSP server is not installed (Debian: gir1.2-gst-rtsp-server-1.0)"
    return None


class DemoStreams:
    """The RTSP server child process; ``start()`` returns once it listens."""

    def __init__(self, port: int, paths: dict[str, str]) -> None:
        self.port = port
        self.paths = paths
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> "DemoStreams":
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} is taken: another RTSP server runs there")
        # Its messages go to a file: an unread pipe fills up and stalls the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the server)
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, __file__, str(self.port), json.dumps(self.paths)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"RTSP server exited: {self._log.read().decode()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"RTSP server did not listen on {self.port} in {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _serve(port: int, paths: dict[str, str]) -> None:  # runs under the system Python
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    points = server.get_mount_points()
    factories = {}
    for kind, pattern in PATTERNS.items():
        # Not shared: a pipeline per client, as separate cameras are anyway.
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(PIPELINE.format(pattern=pattern))
        factories[kind] = factory
    for path, kind in paths.items():
        points.add_factory(path, factories[kind])
    server.attach(None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    os.environ.setdefault("GST_DEBUG", "0")
    _serve(int(sys.argv[1]), json.loads(sys.argv[2]))
